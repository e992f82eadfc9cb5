// Sign-in throttling: a fixed window per client IP and, separately, per e-mail address, so neither one client
// guessing many accounts nor many clients guessing one account get more than `max` tries a minute. A refused
// try is recorded as a `throttled` login attempt and answered 429 problem+json with Retry-After.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseEmail } from '@photoplane/tenant-model';
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

/**
 * A preHandler for the login route (it needs the validated body). Uses @fastify/rate-limit's limiters directly
 * rather than route config: the plugin's route hook runs at most one limiter per request, and this needs two.
 */
export function createLoginThrottle(app: FastifyInstance, limit: LoginRateLimit, sessions: SessionService) {
  const emailOf = (request: FastifyRequest) => normaliseEmail((request.body as { email: string }).email);
  const limiters = [
    app.createRateLimit({ max: limit.max, timeWindow: limit.timeWindowMs, keyGenerator: (r) => `login-ip:${r.ip}` }),
    app.createRateLimit({
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      keyGenerator: (r) => `login-email:${emailOf(r)}`,
    }),
  ];

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    for (const check of limiters) {
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) continue;
      await sessions.recordThrottledLogin({ email: (request.body as { email: string }).email, clientIp: request.ip });
      reply.header('retry-after', String(result.ttlInSeconds));
      throw new TooManyAttemptsError(`Too many sign-in attempts; try again in ${result.ttlInSeconds} seconds.`);
    }
  };
}
