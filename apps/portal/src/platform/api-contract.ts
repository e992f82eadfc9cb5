// The API's contract beyond each route's own schema (issue 16): every status the framework or a shared hook can
// answer on a route is in that route's OpenAPI responses, and a path served under other methods answers 405 with
// `Allow` instead of 404. Both are read off the routes as they are added (an onRoute hook), so a new route is
// covered without anyone remembering to.
import type { RouteOptions } from 'fastify';
import { problem } from './problem.schema.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type RouteSchema = {
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  headers?: unknown;
  hide?: boolean;
  response?: Record<string, unknown>;
};

export interface ContractOptions {
  /** Routes the public-action limiter and the hashing queue guard: they may answer 429 and 503. */
  isPublicAction: (route: RouteOptions) => boolean;
}

/** The statuses a route answers whatever its handler does, each with why. */
export function sharedStatuses(route: RouteOptions, options: ContractOptions): Record<number, string> {
  const schema = (route.schema ?? {}) as RouteSchema & { security?: unknown };
  const methods = [route.method].flat();
  const statuses: Record<number, string> = {};
  const takesBody = methods.some((m) => BODY_METHODS.has(m));
  if (schema.params || schema.querystring || schema.body || schema.headers || takesBody)
    statuses[400] = 'The request is not valid; `errors` names each field';
  if (schema.security) statuses[401] = 'Not signed in, or the token is not valid';
  if (takesBody) {
    statuses[413] = 'The body is larger than the portal accepts';
    statuses[415] = 'The body is not in a media type this route reads';
  }
  if (route.url.includes(':')) statuses[414] = 'A path parameter is longer than the portal accepts';
  // Node's HTTP parser refuses these before any route runs, whatever the route (error-handler.ts, clientProblem).
  statuses[431] = "The request's headers (its URL included) are larger than the portal accepts";
  if (options.isPublicAction(route)) {
    statuses[429] = 'Too many requests from this address; see Retry-After';
    statuses[503] = 'The portal is busy hashing passwords; see Retry-After';
  }
  return statuses;
}

/** Adds each shared status the route's schema does not already declare (a route's own description wins). */
export function documentSharedStatuses(route: RouteOptions, options: ContractOptions): void {
  const schema = route.schema as RouteSchema | undefined;
  // No schema: the route is not in the document (or documents nothing); hidden ones are not either.
  if (!schema || schema.hide) return;
  const response = (schema.response ??= {});
  for (const [status, description] of Object.entries(sharedStatuses(route, options))) {
    if (!(status in response)) response[status] = problem(description);
  }
}

/** fastify's route syntax as a regular expression over a request path: `:name` one segment, `*` the rest. */
function pathPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment === '*'
        ? '.*'
        : segment
            .split(/(:[A-Za-z0-9_]+)/)
            .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
            .join(''),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}

/** Which methods each route path answers; filled by an onRoute hook, asked by the not-found handler. */
export function createMethodMap() {
  const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  return {
    add(route: RouteOptions): void {
      let entry = routes.get(route.url);
      if (!entry) routes.set(route.url, (entry = { pattern: pathPattern(route.url), methods: new Set() }));
      for (const method of [route.method].flat()) entry.methods.add(method);
    },
    /** The methods some route answers at `path` (no query string), sorted; empty when no route has this path. */
    allowedAt(path: string): string[] {
      const allowed = new Set<string>();
      for (const { pattern, methods } of routes.values()) {
        if (pattern.test(path)) for (const m of methods) allowed.add(m);
      }
      return [...allowed].sort();
    },
  };
}

export type MethodMap = ReturnType<typeof createMethodMap>;
