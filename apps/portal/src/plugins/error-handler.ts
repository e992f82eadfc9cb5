// One place that turns every error into RFC 9457 problem+json. Validation errors name each field; anything
// unexpected is logged with its stack and answered with a generic 500 that leaks nothing.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  problem: Omit<ProblemBody, 'title' | 'type'> & Partial<ProblemBody>,
) {
  const body: ProblemBody = {
    type: problem.type ?? 'about:blank',
    title: problem.title ?? TITLES[problem.status] ?? 'Error',
    ...problem,
    instance: problem.instance ?? request.url,
  };
  return reply.code(body.status).type('application/problem+json').send(body);
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
    const message = extra ? 'is not a known field' : (v.message ?? 'is invalid');
    return { field, message };
  });
}

export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.validation) {
        return sendProblem(reply, request, {
          status: 400,
          detail: 'The request is not valid; see errors for each field.',
          errors: validationErrors(error),
        });
      }
      const status = error.statusCode ?? 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'unhandled error');
        return sendProblem(reply, request, { status: 500, detail: 'Something went wrong on our side.' });
      }
      return sendProblem(reply, request, { status, detail: error.message });
    });
    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, request, { status: 404, detail: `No route ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'error-handler' },
);
