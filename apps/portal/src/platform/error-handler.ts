// One place that turns every error into RFC 9457 problem+json. Validation errors name each field; anything
// unexpected is logged with its stack and answered with a generic 500 that leaks nothing.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '@photoplane/tenant-model';
import fp from 'fastify-plugin';
import { HashingBusyError } from './hashing-queue.ts';
import type { MethodMap } from './api-contract.ts';
import { problemFromDomainError } from './domain-errors.ts';
import type { ProblemInput } from './problem.schema.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemInput) {
  const { extensions, ...standard } = problem;
  const body = {
    ...extensions,
    type: standard.type ?? 'about:blank',
    title: standard.title ?? TITLES[standard.status] ?? 'Error',
    ...standard,
    instance: standard.instance ?? request.url,
  };
  return reply.code(body.status).type('application/problem+json').send(body);
}

/**
 * The router's own refusals (fastify's `frameworkErrors`), which never reach the error handler: a path parameter
 * longer than the router accepts (414) or a path that is not valid percent-encoding (400). As problem+json too.
 */
export function routerProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let problem: ProblemInput;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    problem = { status: 414, detail: 'A path parameter is longer than the portal accepts.' };
  else if (error.code === 'FST_ERR_BAD_URL')
    problem = { status: 400, detail: 'The path is not valid (a bad percent-encoding).' };
  else {
    request.log.error({ err: error }, 'router error');
    problem = { status: 500, detail: 'Something went wrong on our side.' };
  }
  void sendProblem(reply, request, problem);
}

/**
 * Requests Node's HTTP parser refuses before fastify sees them (fastify's `clientErrorHandler`): headers or a URL
 * larger than Node accepts (431), a request that never finished arriving (408), anything unparsable (400). Answered
 * as problem+json too, written on the socket as fastify's own handler does.
 */
export function clientProblem(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? "The request's headers (its URL included) are larger than the portal accepts."
      : status === 408
        ? 'The request did not arrive in time.'
        : 'The request is not valid HTTP.';
  const title = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/problem+json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

function validationErrors(error: FastifyError): { field: string; message: string }[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((v) => {
    const missing = v.keyword === 'required' ? (v.params as { missingProperty?: string }).missingProperty : undefined;
    const extra =
      v.keyword === 'additionalProperties'
        ? (v.params as { additionalProperty?: string }).additionalProperty
        : undefined;
    const pointer = `${v.instancePath}${missing || extra ? `/${missing ?? extra}` : ''}`;
    const field = `${context}${pointer.replaceAll('/', '.')}`;
    const email = v.keyword === 'format' && (v.params as { format?: string }).format === 'email';
    const message = extra
      ? 'is not a known field'
      : email
        ? 'is not a valid e-mail address'
        : (v.message ?? 'is invalid');
    return { field, message };
  });
}

export interface ErrorHandlerOptions {
  /** Which methods each path answers (api-contract.ts): a request for a known path with another method is a 405. */
  methods?: MethodMap;
}

export default fp(
  async (app: FastifyInstance, options: ErrorHandlerOptions) => {
    /** A known path asked with a method none of its routes serves: 405 with `Allow`; anything else: undefined. */
    function methodNotAllowed(request: FastifyRequest, reply: FastifyReply) {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = options.methods?.allowedAt(path) ?? [];
      if (!allowed.length || allowed.includes(request.method)) return undefined;
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, request, {
        status: 405,
        detail: `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
      });
    }

    app.setErrorHandler((error: FastifyError | Error, request, reply) => {
      // The not-found route parses a body too (a QUERY without Content-Type fails there): the method is the problem.
      if (request.is404) {
        const refused = methodNotAllowed(request, reply);
        if (refused) return refused;
      }
      // A form page answers refusals as a page (one limiter for pages and JSON routes alike: the public limiter and
      // the per-member guess limit count once, and only the answer's format follows the route).
      const formPage = request.routeOptions.config?.formPage;
      if (formPage) {
        if (error instanceof HashingBusyError) {
          reply.header('retry-after', String(error.retryAfterSeconds));
          return formPage(request, reply, 503, `${error.message}`);
        }
        if ('statusCode' in error && error.statusCode === 429) {
          const seconds = Number(reply.getHeader('retry-after')) || 60;
          if (!reply.hasHeader('retry-after')) reply.header('retry-after', String(seconds));
          return formPage(request, reply, 429, `Too many requests; try again in ${seconds} seconds.`);
        }
      }
      if ('validation' in error && error.validation) {
        return sendProblem(reply, request, {
          status: 400,
          detail: 'The request is not valid; see errors for each field.',
          errors: validationErrors(error),
        });
      }
      if (isDomainError(error)) {
        const problem = problemFromDomainError(error);
        if (problem.status >= 500) request.log.error({ err: error }, 'domain error mapped to a server error');
        return sendProblem(reply, request, problem);
      }
      if (error instanceof HashingBusyError) {
        // Load shedding, not a fault: say when to come back instead of a generic 500.
        reply.header('retry-after', String(error.retryAfterSeconds));
        return sendProblem(reply, request, { status: 503, detail: error.message });
      }
      const status = ('statusCode' in error ? error.statusCode : undefined) ?? 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'unhandled error');
        return sendProblem(reply, request, { status: 500, detail: 'Something went wrong on our side.' });
      }
      return sendProblem(reply, request, { status, detail: error.message });
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      return (
        methodNotAllowed(request, reply) ??
        sendProblem(reply, request, { status: 404, detail: `No route ${request.method} ${path}` })
      );
    });
  },
  { name: 'error-handler' },
);
