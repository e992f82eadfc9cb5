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
      verify: {
        algorithms: [ALGORITHM],
        allowedIss: issuer,
        allowedAud: audience,
        requiredClaims: ['sub', 'sid'],
      },
      formatUser: (payload) => ({ accountId: payload.sub as AccountId, sessionId: payload.sid as SessionId }),
    });

    // A token verified once is remembered, by its exact text, until it expires (at most `VERIFIED_TOKENS`, the
    // oldest going first): checking its HMAC, decoding it and checking its claims, through @fastify/jwt and
    // fast-jwt, was about a seventh of the CPU of a signed-in read answered from memory (issue 18). Only a token
    // taken from where @fastify/jwt takes it (a plain `Bearer <token>` header, else the access cookie) is looked up,
    // so the text remembered is the text that was verified. Revocation does not rest on this: the sign-in's
    // liveness is checked after, on every request.
    const verified = new Map<string, { user: Principal; expiresAtMs: number }>();
    const bearer = /^Bearer ([A-Za-z0-9_.-]+)$/;

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const fromCookie = accessTokenFromCookie(request);
      if (fromCookie) requireCsrfHeader(request);
      const header = request.headers.authorization;
      const token = header === undefined ? fromCookie : bearer.exec(header)?.[1];
      const known = token === undefined ? undefined : verified.get(token);
      if (known && known.expiresAtMs > Date.now()) {
        request.user = known.user;
        await sessions.assertSignedIn(known.user);
        return;
      }
      if (known) verified.delete(token as string);
      try {
        await request.jwtVerify();
      } catch (e) {
        const expired = (e as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED';
        throw new DomainError(
          'unauthenticated',
          expired ? 'The access token has expired.' : 'A valid bearer access token is required.',
        );
      }
      if (token !== undefined) {
        // Verified, so its expiry can be read as it is (jwtVerify answers with the user, not the claims).
        const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp?: unknown };
        if (verified.size >= VERIFIED_TOKENS) verified.delete(verified.keys().next().value as string);
        if (typeof exp === 'number') verified.set(token, { user: request.user, expiresAtMs: exp * 1000 });
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
