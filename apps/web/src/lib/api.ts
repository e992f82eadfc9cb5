// The typed client of the portal's API (types generated from its OpenAPI document: openapi.d.ts). The session is
// a pair of HttpOnly cookies the browser sends by itself; every request carries the CSRF header the portal requires
// of cookie-authenticated changes. An expired access cookie is renewed once and the request retried.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './openapi';

export const CSRF_HEADER = 'x-photoplane-csrf';

/** The Web Lock every tab of this site takes for a renewal. */
const REFRESH_LOCK = 'photoplane-session-refresh';

let refreshing: Promise<boolean> | null = null;

const renew = () =>
  fetch('/v1/web/session/refresh', { method: 'POST', headers: { [CSRF_HEADER]: '1' } })
    .then((r) => r.ok)
    .catch(() => false);

/**
 * Trades the refresh cookie for new session cookies; false when there is none or it is no longer valid. A refresh
 * token works once, and a used one presented again signs the whole sign-in out (reuse detection), so renewals take
 * turns: one at a time in this tab, and one at a time across the tabs sharing these cookies (a Web Lock). A tab
 * that waited sends the refresh cookie the other tab's renewal set, not the used one.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (typeof navigator !== 'undefined' && navigator.locks ? renewUnderLock() : renew()).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function renewUnderLock(): Promise<boolean> {
  return await navigator.locks.request(REFRESH_LOCK, renew);
}

const csrf: Middleware = {
  onRequest({ request }) {
    request.headers.set(CSRF_HEADER, '1');
    return request;
  },
};

async function fetchRenewing(request: Request): Promise<Response> {
  const retry = request.clone();
  const response = await fetch(request);
  if (response.status !== 401 || new URL(request.url).pathname.startsWith('/v1/web/session')) return response;
  return (await refreshSession()) ? fetch(retry) : response;
}

export const api = createClient<paths>({ baseUrl: '', fetch: fetchRenewing });
api.use(csrf);

export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

/** A problem's field errors by field name ("body.email" and "email" both become "email"). */
export function fieldErrors(problem: Problem | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of problem?.errors ?? []) {
    const name = e.field.replace(/^body\./, '').replace(/^params\./, '');
    // JSON-schema wording ("must NOT have fewer than 12 characters") read as a sentence.
    const message = e.message.replace(/\bNOT\b/g, 'not');
    out[name] ??= message.charAt(0).toUpperCase() + message.slice(1);
  }
  return out;
}

/** What to say when the problem names no field of the form. */
export function problemMessage(problem: Problem | undefined, fields: string[] = []): string {
  if (!problem) return '';
  const named = fieldErrors(problem);
  if (fields.some((f) => named[f])) return '';
  return problem.detail ?? problem.title ?? 'Something went wrong.';
}
