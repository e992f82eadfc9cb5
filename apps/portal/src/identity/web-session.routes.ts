// The web portal's cookie session (identity/web-session.plugin.ts): sign in, refresh and sign out with HttpOnly cookies
// instead of tokens in the page. The same session service as the bearer API, so sign-ins are listed, throttled,
// recorded and revoked alike.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createLoginThrottle, type LoginRateLimit } from '../platform/login-throttle.ts';
import {
  accessTokenFromCookie,
  clearSessionCookies,
  REFRESH_COOKIE,
  requireCsrfHeader,
  setSessionCookies,
  type WebCookieOptions,
} from './web-session.plugin.ts';
import { LoginBody } from './auth.schema.ts';
import { NoContent, problem } from '../platform/problem.schema.ts';
import { WebSession, WebSessionStarted } from './web.schema.ts';
import type { AccountService } from './account.service.ts';
import type { SessionService, SignedIn } from './session.service.ts';

export interface WebSessionRoutesOptions {
  accounts: AccountService;
  sessions: SessionService;
  loginRateLimit: LoginRateLimit;
  cookies: WebCookieOptions;
  testCheckout: boolean;
  domain: string;
}

const webSessionRoutes: FastifyPluginAsyncTypebox<WebSessionRoutesOptions> = async (app, opts) => {
  const { accounts, sessions, cookies } = opts;
  const started = async (reply: Parameters<typeof setSessionCookies>[0], signedIn: SignedIn) => {
    const access = await app.signAccessToken(signedIn);
    setSessionCookies(reply, cookies, { ...access, ...signedIn });
    return { expiresIn: access.expiresIn };
  };

  app.get(
    '/v1/web/session',
    {
      schema: {
        tags: ['web'],
        summary: 'Whether this browser is signed in (always 200), and what the web portal needs to know',
        response: { 200: WebSession },
      },
    },
    async (request) => {
      let account = null;
      if (accessTokenFromCookie(request)) {
        try {
          await app.authenticate(request);
          account = await accounts.getAccount(request.user.accountId);
        } catch {
          // expired or revoked: not signed in (the page may refresh)
        }
      }
      return {
        signedIn: account !== null,
        refreshable: Boolean(request.cookies[REFRESH_COOKIE]),
        account,
        testCheckout: opts.testCheckout,
        domain: opts.domain,
      };
    },
  );

  app.post(
    '/v1/web/session',
    {
      schema: {
        tags: ['web'],
        summary: 'Sign in: sets the HttpOnly session cookies',
        body: LoginBody,
        response: {
          200: WebSessionStarted,
          400: problem('Malformed request'),
          401: problem('Wrong e-mail address or password, or the address is not confirmed'),
          403: problem('The CSRF header is missing'),
          429: problem('Too many attempts; see Retry-After'),
        },
      },
      onRequest: async (request) => requireCsrfHeader(request),
      preHandler: createLoginThrottle(app, opts.loginRateLimit, sessions),
    },
    async (request, reply) =>
      started(
        reply,
        await sessions.logIn({
          email: request.body.email,
          password: request.body.password,
          totpCode: request.body.totpCode,
          clientIp: request.ip,
        }),
      ),
  );

  app.post(
    '/v1/web/session/refresh',
    {
      schema: {
        tags: ['web'],
        summary: 'Trade the refresh cookie for new session cookies (single use, like /v1/auth/refresh)',
        response: { 200: WebSessionStarted, 401: problem('No valid refresh cookie'), 403: problem('No CSRF header') },
      },
      onRequest: async (request) => requireCsrfHeader(request),
    },
    async (request, reply) => {
      const token = request.cookies[REFRESH_COOKIE];
      try {
        return await started(reply, await sessions.refresh(token ?? ''));
      } catch (e) {
        clearSessionCookies(reply, cookies);
        throw e;
      }
    },
  );

  app.delete(
    '/v1/web/session',
    {
      schema: {
        tags: ['web'],
        summary: 'Sign out: revokes the sign-in and clears the cookies',
        response: { 204: NoContent, 403: problem('No CSRF header') },
      },
      onRequest: async (request) => requireCsrfHeader(request),
    },
    async (request, reply) => {
      if (accessTokenFromCookie(request)) {
        try {
          await app.authenticate(request);
          await sessions.logOut(request.user);
        } catch {
          // already signed out or expired: clearing the cookies is all that is left
        }
      }
      clearSessionCookies(reply, cookies);
      return reply.code(204).send(null);
    },
  );
};

export default webSessionRoutes;
