// The portal as the tests build it: the one composition root (createPortal) over a test database, configured
// through the same environment variables the server reads, with only ports replaced (workflow starters, the
// photo-app sync, mail, Stripe). Nothing is started in the background unless a test asks for it.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@photoplane/db';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { readPortalConfig, type PortalConfig } from '../../src/config.ts';
import { createPortal, type Portal, type PortalOverrides } from '../../src/portal.ts';

/**
 * A configuration from `env` over test defaults: fixed keys, generous sign-in limits (tests sign in often from one
 * address), and a per-address limit three times the per-account one, as the throttle's own default.
 */
export function testPortalConfig(databaseUrl: string, env: Record<string, string | undefined> = {}): PortalConfig {
  const loginMax = env.LOGIN_ATTEMPTS_PER_MINUTE ?? '1000';
  return readPortalConfig({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
    JWT_ISSUER: 'photoplane-test',
    JWT_AUDIENCE: 'photoplane-portal',
    TOTP_ENCRYPTION_KEY: 'test-totp-key-that-is-at-least-32-characters',
    OIDC_SECRET_KEY: 'test-oidc-key-that-is-at-least-32-characters',
    OIDC_CLIENT_SECRET_KEY: randomBytes(32).toString('base64url'),
    MAIL_FROM: 'Photoplane <no-reply@portal.test>',
    PORTAL_PUBLIC_URL: 'http://portal.test',
    LOGIN_ATTEMPTS_PER_MINUTE: loginMax,
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: String(3 * Number(loginMax)),
    // Stripe's test key without STRIPE_API_URL: the Stripe client is made, never called unless a test does.
    STRIPE_SECRET_KEY: 'sk_test_photoplane_tests',
    ...env,
  });
}

export interface TestPortalOptions {
  prisma: PrismaClient;
  config: PortalConfig;
  logger?: FastifyBaseLogger;
  webDistDir?: string;
  /** Ports to replace; the public-action limit is lifted unless a test sets one. */
  overrides?: PortalOverrides;
}

/**
 * The portal over `prisma` (not yet `ready()`, so a test may still add hooks and routes); close it with
 * `portal.close()` (the database stays open).
 */
export async function startTestPortal(options: TestPortalOptions): Promise<Portal> {
  return createPortal(
    {
      config: options.config,
      prisma: options.prisma,
      logger: options.logger ?? pino({ level: 'silent' }),
      ...(options.webDistDir ? { webDistDir: options.webDistDir } : {}),
    },
    { publicRateLimit: null, ...options.overrides },
  );
}
