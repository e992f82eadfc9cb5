// Bearer access tokens for the portal realm: HS256 JWTs with issuer, audience, subject (account id) and sid
// (session id), short-lived. `app.authenticate` accepts only such tokens, signed with our key, unexpired, and
// whose sign-in has not been revoked since; `app.signAccessToken` issues them.
import cookie from '@fastify/cookie';
import jwt from '@fastify/jwt';
import { DomainError, type AccountId, type SessionId } from '@photoplane/tenant-model';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionService } from './session.service.ts';
import { ACCESS_COOKIE, accessTokenFromCookie, requireCsrfHeader } from './web-session.plugin.ts';

export interface AccessTokenOptions {
  /** HS256 key, at least 32 characters. */
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AuthPluginOptions extends AccessTokenOptions {
  sessions: SessionService;
}

export interface Principal {
  accountId: AccountId;
  sessionId: SessionId;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; sid: string };
    user: Principal;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for routes that need a signed-in account; sets `request.user`. */
    authenticate: (request: FastifyRequest) => Promise<void>;
    signAccessToken: (principal: Principal) => Promise<{ accessToken: string; expiresIn: number }>;
  }
}

const ALGORITHM = 'HS256';
/** Verified access tokens remembered per process (a few hundred bytes each). */
const VERIFIED_TOKENS = 10_000;

export default fp<AuthPluginOptions>(
  async (app: FastifyInstance, { secret, issuer, audience, ttlSeconds, sessions }) => {
    // The web portal's cookie session (identity/web-session.plugin.ts) carries the same access token as the bearer header,
    // which is read first: the CLI and the tests keep using bearer tokens.
    if (!app.hasDecorator('parseCookie')) await app.register(cookie);
    await app.register(jwt, {
      secret,
      cookie: { cookieName: ACCESS_COOKIE, signed: false },
      sign: { algorithm: ALGORITHM, iss: issuer, aud: audience, expiresIn: ttlSeconds },
      // The algorithm list is what refuses `alg: none` and any attempt to switch algorithms.
      // A token verified once is remembered until it expires (fast-jwt's cache, keyed by the token's SHA-256; at
      // most `VERIFIED_TOKENS` of them): checking its HMAC, decoding and checking its claims was a tenth of the CPU
      // of a signed-in read (issue 18). Revocation does not rest on this: the sign-in's liveness is checked after.
      verify: {
        algorithms: [ALGORITHM],
        allowedIss: issuer,
        allowedAud: audience,
        requiredClaims: ['sub', 'sid'],
        cache: VERIFIED_TOKENS,
      },
      formatUser: (payload) => ({ accountId: payload.sub as AccountId, sessionId: payload.sid as SessionId }),
    });

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const fromCookie = accessTokenFromCookie(request);
      if (fromCookie) requireCsrfHeader(request);
      try {
        await request.jwtVerify();
      } catch (e) {
        const expired = (e as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED';
        throw new DomainError(
          'unauthenticated',
          expired ? 'The access token has expired.' : 'A valid bearer access token is required.',
        );
      }
      await sessions.assertSignedIn(request.user);
    });

    app.decorate('signAccessToken', async ({ accountId, sessionId }: Principal) => ({
      accessToken: app.jwt.sign({ sub: accountId, sid: sessionId }),
      expiresIn: ttlSeconds,
    }));
  },
  { name: 'auth', dependencies: ['error-handler'] },
);
