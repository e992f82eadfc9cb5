// Sign-in throttling: a fixed window per client IP and, separately, per e-mail address, so neither one client
// guessing many accounts nor many clients guessing one account get more than `max` tries a minute. A refused
// try is recorded as a `throttled` login attempt and answered 429 problem+json with Retry-After. The portal realm
// counts addresses across the portal; the instance realm per (instance, address), since the same address on two
// instances is two unrelated members.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseEmail } from '@photoplane/tenant-model';
import type { MemberAuthService } from '../services/member-auth.service.ts';
import type { SessionService } from '../services/session.service.ts';

export interface LoginRateLimit {
  /** Attempts allowed per window, for each client IP and for each e-mail address. */
  max: number;
  timeWindowMs: number;
}

class TooManyAttemptsError extends Error {
  override name = 'TooManyAttemptsError';
  readonly statusCode = 429;
}

type KeyOf = (request: FastifyRequest) => string;

/**
 * A preHandler for a login route (it needs the validated body). Uses @fastify/rate-limit's limiters directly
 * rather than route config: the plugin's route hook runs at most one limiter per request, and this needs two.
 */
function createThrottle(
  app: FastifyInstance,
  limit: LoginRateLimit,
  keys: KeyOf[],
  recordThrottled: (request: FastifyRequest) => Promise<void>,
) {
  const limiters = keys.map((keyGenerator) =>
    app.createRateLimit({ max: limit.max, timeWindow: limit.timeWindowMs, keyGenerator }),
  );
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    for (const check of limiters) {
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) continue;
      await recordThrottled(request);
      reply.header('retry-after', String(result.ttlInSeconds));
      throw new TooManyAttemptsError(`Too many sign-in attempts; try again in ${result.ttlInSeconds} seconds.`);
    }
  };
}

const emailOf = (request: FastifyRequest) => (request.body as { email: string }).email;

export function createLoginThrottle(app: FastifyInstance, limit: LoginRateLimit, sessions: SessionService) {
  return createThrottle(
    app,
    limit,
    [(r) => `login-ip:${r.ip}`, (r) => `login-email:${normaliseEmail(emailOf(r))}`],
    (request) => sessions.recordThrottledLogin({ email: emailOf(request), clientIp: request.ip }),
  );
}

/** The instance realm's sign-in (route params carry the subdomain): per client IP and per (instance, e-mail). */
export function createMemberLoginThrottle(app: FastifyInstance, limit: LoginRateLimit, memberAuth: MemberAuthService) {
  const subdomainOf = (request: FastifyRequest) => (request.params as { subdomain: string }).subdomain.toLowerCase();
  return createThrottle(
    app,
    limit,
    [(r) => `member-login-ip:${r.ip}`, (r) => `member-login-email:${subdomainOf(r)}:${normaliseEmail(emailOf(r))}`],
    (request) =>
      memberAuth.recordThrottledLogin({
        subdomain: subdomainOf(request),
        email: emailOf(request),
        clientIp: request.ip,
      }),
  );
}

/**
 * Guesses at a member's secrets outside sign-in (the current password when changing it, a TOTP code when
 * confirming an enrolment or turning it off): with a session in hand, six digits fall to brute force without a
 * limit. One budget per member, `max` a window; the handler calls the returned check once it knows the member.
 */
export function createGuessThrottle(app: FastifyInstance, limit: LoginRateLimit) {
  const memberOf = new WeakMap<FastifyRequest, string>();
  const limiter = app.createRateLimit({
    max: limit.max,
    timeWindow: limit.timeWindowMs,
    keyGenerator: (request) => `member-guess:${memberOf.get(request) ?? request.ip}`,
  });
  return async (request: FastifyRequest, reply: FastifyReply, memberId: string): Promise<void> => {
    memberOf.set(request, memberId);
    const result = await limiter(request);
    if (result.isAllowed || !result.isExceeded) return;
    reply.header('retry-after', String(result.ttlInSeconds));
    throw new TooManyAttemptsError(`Too many tries; try again in ${result.ttlInSeconds} seconds.`);
  };
}
