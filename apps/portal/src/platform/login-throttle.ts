// Sign-in throttling that slows an attacker without locking the real owner out (issue 13, item 6). Three fixed
// windows:
//   - per client address: `perAddressMax` tries, whatever the accounts (one client spraying many accounts);
//   - per (client address, account): `max` tries (one client guessing one account);
//   - per account, from every address: past `max` tries each further try is only delayed by `accountDelayMs`,
//     never refused. A per-account refusal would let anyone lock any account (staff included) out by guessing
//     at it; the delay makes a distributed guesser pay for each try while the owner, from their own address,
//     still gets in.
// A refused try is recorded as a `throttled` login attempt and answered 429 problem+json with Retry-After. The
// portal realm counts accounts across the portal; the instance realm per (instance, address), since the same
// address on two instances is two unrelated members. The client address is the one fastify derives behind the
// configured trusted proxy (TRUST_PROXY), so nobody else can claim an address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseEmail } from '@photoplane/tenant-model';
import type { MemberAuthService } from '../members/member-auth.service.ts';
import type { SessionService } from '../identity/session.service.ts';

export interface LoginRateLimit {
  /** Attempts allowed per window for each (client address, account), and per account before tries are delayed. */
  max: number;
  timeWindowMs: number;
  /** Attempts allowed per window for each client address, all accounts together; default 3 × max. */
  perAddressMax?: number;
  /** Delay of each try on an account past `max` tries in the window from all addresses; default 1000 ms. */
  accountDelayMs?: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TooManyAttemptsError extends Error {
  override name = 'TooManyAttemptsError';
  readonly statusCode = 429;
}

type KeyOf = (request: FastifyRequest) => string;

/**
 * The three windows of one sign-in form (see the top of this file). The returned check answers the seconds to wait
 * when the try is refused, or null once it may go ahead (after the account-wide delay, if that applies). Uses
 * @fastify/rate-limit's limiters directly rather than route config: the plugin's route hook runs at most one
 * limiter per request, and this needs three.
 */
export function createSignInLimiter(
  app: FastifyInstance,
  limit: LoginRateLimit,
  keys: { address: KeyOf; account: KeyOf },
): (request: FastifyRequest) => Promise<number | null> {
  const window = (max: number, keyGenerator: KeyOf) =>
    app.createRateLimit({ max, timeWindow: limit.timeWindowMs, keyGenerator });
  const refusing = [
    window(limit.perAddressMax ?? 3 * limit.max, keys.address),
    window(limit.max, (r) => `${keys.address(r)}|${keys.account(r)}`),
  ];
  const delaying = window(limit.max, keys.account);
  const accountDelayMs = limit.accountDelayMs ?? 1000;
  return async (request) => {
    for (const check of refusing) {
      const result = await check(request);
      if (!result.isAllowed && result.isExceeded) return result.ttlInSeconds;
    }
    const account = await delaying(request);
    if (!account.isAllowed && account.isExceeded && accountDelayMs > 0) await delay(accountDelayMs);
    return null;
  };
}

/** A preHandler for a login route (it needs the validated body). */
function createThrottle(
  app: FastifyInstance,
  limit: LoginRateLimit,
  keys: { address: KeyOf; account: KeyOf },
  recordThrottled: (request: FastifyRequest) => Promise<void>,
) {
  const limiter = createSignInLimiter(app, limit, keys);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const wait = await limiter(request);
    if (wait === null) return;
    await recordThrottled(request);
    reply.header('retry-after', String(wait));
    throw new TooManyAttemptsError(`Too many sign-in attempts; try again in ${wait} seconds.`);
  };
}

const emailOf = (request: FastifyRequest) => (request.body as { email: string }).email;

export function createLoginThrottle(app: FastifyInstance, limit: LoginRateLimit, sessions: SessionService) {
  return createThrottle(
    app,
    limit,
    { address: (r) => `login-ip:${r.ip}`, account: (r) => `login-email:${normaliseEmail(emailOf(r))}` },
    (request) => sessions.recordThrottledLogin({ email: emailOf(request), clientIp: request.ip }),
  );
}

/** The instance realm's sign-in (route params carry the subdomain): accounts are (instance, e-mail). */
export function createMemberLoginThrottle(app: FastifyInstance, limit: LoginRateLimit, memberAuth: MemberAuthService) {
  const subdomainOf = (request: FastifyRequest) => (request.params as { subdomain: string }).subdomain.toLowerCase();
  return createThrottle(
    app,
    limit,
    {
      address: (r) => `member-login-ip:${r.ip}`,
      account: (r) => `member-login-email:${subdomainOf(r)}:${normaliseEmail(emailOf(r))}`,
    },
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
