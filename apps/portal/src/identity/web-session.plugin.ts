// The web portal's session (apps/web): the same access and refresh tokens the API hands out, kept in cookies the
// page's scripts cannot read (HttpOnly), so no token ever sits in localStorage. SameSite keeps other sites' pages
// from sending them along, and every state-changing request authenticated by a cookie must carry the CSRF header:
// a custom header that another origin cannot set without a CORS preflight, which this portal never grants.
import { DomainError } from '@photoplane/tenant-model';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The access token (JWT), sent with every request to the portal. */
export const ACCESS_COOKIE = 'pp_access';
/** The refresh token, sent only to the session routes. */
export const REFRESH_COOKIE = 'pp_refresh';
export const REFRESH_COOKIE_PATH = '/v1/web/session';
/** Any value will do; its presence is what only a same-origin script can arrange. */
export const CSRF_HEADER = 'x-photoplane-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses a state-changing request without the CSRF header (403 naming the header). */
export function requireCsrfHeader(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (typeof request.headers[CSRF_HEADER] === 'string' && request.headers[CSRF_HEADER] !== '') return;
  throw new DomainError('forbidden', `Requests signed in with a cookie must carry the ${CSRF_HEADER} header.`, {
    field: `headers.${CSRF_HEADER}`,
  });
}

/** The cookie's access token when the request has no Authorization header (the CLI and tests use bearer tokens). */
export function accessTokenFromCookie(request: FastifyRequest): string | undefined {
  if (request.headers.authorization) return undefined;
  const token = request.cookies?.[ACCESS_COOKIE];
  return token ? token : undefined;
}

export interface WebCookieOptions {
  /** Secure cookies (HTTPS only): everywhere but a portal reached at localhost or 127.0.0.1. */
  secure: boolean;
}

export function setSessionCookies(
  reply: FastifyReply,
  opts: WebCookieOptions,
  tokens: { accessToken: string; expiresIn: number; refreshToken: string; refreshTokenExpiresAt: Date },
): void {
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, {
    httpOnly: true,
    secure: opts.secure,
    sameSite: 'lax',
    path: '/',
    maxAge: tokens.expiresIn,
  });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    secure: opts.secure,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    expires: tokens.refreshTokenExpiresAt,
  });
}

export function clearSessionCookies(reply: FastifyReply, opts: WebCookieOptions): void {
  reply.clearCookie(ACCESS_COOKIE, { httpOnly: true, secure: opts.secure, sameSite: 'lax', path: '/' });
  reply.clearCookie(REFRESH_COOKIE, {
    httpOnly: true,
    secure: opts.secure,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
  });
}

/** Secure outside localhost: a browser drops Secure cookies on plain http, which is what local use is. */
export function secureCookiesFor(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return url.protocol === 'https:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}
