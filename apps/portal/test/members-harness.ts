// What the member tests share: the portal app over a database of their own, with the account, member and
// instance-auth routes, e-mail through nodemailer to a real SMTP server in this process, and a log captured so
// tests can check that no password or token reaches it. The photo-app sync is injected: a recorder for the API
// tests, the real Temporal client in members-sync.test.ts.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { pino } from 'pino';
import { startSmtpInbox, type Mail } from './support/smtp-inbox.ts';
import { REDACTED_PATHS, type App } from '../src/app.ts';
import type { MemberSync } from '../src/members/member-workflows.ts';
import { createPasswordService } from '../src/platform/password.service.ts';
import { createSecretBox } from '../src/platform/secret-box.ts';
import type { InstanceOperations } from '../src/support/instance-operations.ts';
import type { FleetUpgradeControl } from '../src/support/fleet-upgrade-control.ts';
import type { ExportStarter } from '../src/exports/export.service.ts';
import type { Client } from '@temporalio/client';
import type { OidcProviders } from '../src/instance-sign-in/instance-providers.ts';
import type { PhotoAppLogout } from '../src/members/photo-app-logout.service.ts';
import { STAFF_TOTP_PURPOSE } from '../src/support/support.service.ts';
import { generateTotpSecret, totpCode, totpStep } from '../src/platform/totp.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

export const GIB = 1024n ** 3n;
export const TOTP_TEST_KEY = 'test-totp-key-that-is-at-least-32-characters';
/** The box staff TOTP secrets are sealed in, as the harness's portal opens them. */
export const staffTotpBox = createSecretBox(TOTP_TEST_KEY, STAFF_TOTP_PURPOSE);
export const INSTANCE_DOMAIN = 'photos.test';

export type { Mail };

export interface Harness {
  db: CreatedDatabase;
  prisma: PrismaClient;
  app: App;
  inbox: Mail[];
  /** The in-process SMTP server's port, for a child process (the CLI) that sends mail too. */
  smtpPort: number;
  logLines: string[];
  secrets: Set<string>;
  /** With options.signIn: the providers and the back-channel logout loop (not started: tests run it). */
  signIn?: { providers: OidcProviders; logout: PhotoAppLogout };
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Sign-in attempts per client and per address a minute; high by default so tests do not trip it. */
  loginAttemptsPerMinute?: number;
  /**
   * Also mount the instances' OpenID providers and sign-in pages (SPEC I1), for instances at
   * `instanceUrlTemplate` under `domain`; the harness then has `signIn` (providers and the logout loop).
   */
  signIn?: { instanceUrlTemplate: string; domain: string; clientSecretKey: string };
  /** Also mount the support API (SPEC A5), starting instance workflows through `operations`. */
  support?: {
    operations: InstanceOperations;
    fleet: FleetUpgradeControl;
    backups?: { client: Client; taskQueue: string };
  };
  /** How long a staff sign-in lasts (default 30 minutes). */
  staffSessionTtlSeconds?: number;
  /** The app's public limiter (UNAUTHENTICATED_REQUESTS_PER_MINUTE); off by default, as tests share one address. */
  publicRequestsPerMinute?: number;
  /** The owners' exports (SPEC F1): PHOTOPLANE_EXPORT_DIR, and where their workflows are started. */
  exports?: { dir: string; starter: ExportStarter };
}

/**
 * `shared`: a database someone else made and drops (the provisioner's harness in members-sync.test.ts), its client and
 * URL (the portal's prepared statements open their own connections).
 */
export async function startHarness(
  sync: MemberSync,
  shared?: { prisma: PrismaClient; url: string },
  options: HarnessOptions = {},
): Promise<Harness> {
  const db: CreatedDatabase = shared
    ? { name: 'shared', url: shared.url, drop: async () => undefined }
    : await createTestDatabase();
  const prisma = shared?.prisma ?? createPrismaClient(db.url);
  const logLines: string[] = [];
  const smtp = await startSmtpInbox();
  const { inbox } = smtp;
  const logger = pino(
    { level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const config = testPortalConfig(db.url, {
    TOTP_ENCRYPTION_KEY: TOTP_TEST_KEY,
    LOGIN_ATTEMPTS_PER_MINUTE: String(options.loginAttemptsPerMinute ?? 1000),
    LOGIN_ACCOUNT_DELAY_MS: '200',
    ACCESS_TOKEN_TTL_SECONDS: '900',
    REFRESH_TOKEN_TTL_SECONDS: '3600',
    STAFF_SESSION_TTL_SECONDS: String(options.staffSessionTtlSeconds ?? 1800),
    PHOTOPLANE_DOMAIN: options.signIn?.domain ?? INSTANCE_DOMAIN,
    PHOTOPLANE_INSTANCE_URL: options.signIn?.instanceUrlTemplate ?? `https://{subdomain}.${INSTANCE_DOMAIN}`,
    ...(options.signIn ? { OIDC_CLIENT_SECRET_KEY: options.signIn.clientSecretKey } : {}),
    ...(options.exports ? { PHOTOPLANE_EXPORT_DIR: options.exports.dir } : {}),
  });
  const portal = await startTestPortal({
    prisma,
    config,
    logger,
    overrides: {
      memberSync: sync,
      mailTransport: smtp.transport(),
      ...(options.support
        ? {
            instanceOperations: options.support.operations,
            fleet: options.support.fleet,
            ...(options.support.backups ? { backupWorkflows: options.support.backups } : {}),
          }
        : {}),
      ...(options.exports ? { exportStarter: options.exports.starter } : {}),
      ...(options.publicRequestsPerMinute
        ? { publicRateLimit: { max: options.publicRequestsPerMinute, timeWindowMs: 60_000 } }
        : {}),
    },
  });
  const { app } = portal;
  await app.ready();
  // Support's tenant operations reach the (recorded) workflows through the outbox, sent after their commit.
  if (options.support) portal.outbox.start();
  const signIn: Harness['signIn'] = options.signIn
    ? { providers: portal.services.signIn.providers, logout: portal.photoAppLogout }
    : undefined;
  return {
    db,
    prisma,
    app,
    inbox,
    smtpPort: smtp.port,
    logLines,
    secrets: new Set(),
    signIn,
    async close() {
      await portal.close();
      await smtp.close();
      if (!shared) await prisma.$disconnect();
      await db.drop();
    },
  };
}

let counter = 0;
export const unique = (label: string) => `${label}${++counter}${Math.random().toString(36).slice(2, 6)}`;

/** A code of the next 30-second step for a staff TOTP secret (each step is accepted once; the window allows +1). */
export function nextTotpCode(secret: string, offsetSteps = 0): string {
  return totpCode(secret, totpStep(new Date()) + offsetSteps);
}

/**
 * A verified portal account signed in through the real login route; returns its access token. Staff accounts get a
 * TOTP secret, as every staff account has (SPEC A6), and sign in with a code from it.
 */
export async function signedInAccount(h: Harness, role: 'customer' | 'support' | 'superadmin' = 'customer') {
  const email = `${unique('acct')}@example.com`;
  const password = `portal password ${email}`;
  const passwordHash = await createPasswordService().hashPassword(password);
  const totpSecret = role === 'customer' ? null : generateTotpSecret();
  const account = await h.prisma.account.create({
    data: {
      email,
      emailNormalized: email,
      name: `Owner ${email}`,
      role,
      passwordHash,
      emailVerifiedAt: new Date(),
      totpSecretCipher: totpSecret ? staffTotpBox.seal(totpSecret) : null,
    },
  });
  // A client address of its own, so a harness with a low sign-in limit can still make many accounts.
  const remoteAddress = `10.${(counter >> 16) & 255}.${(counter >> 8) & 255}.${counter & 255}`;
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password, ...(totpSecret ? { totpCode: nextTotpCode(totpSecret) } : {}) },
    remoteAddress,
  });
  assert.equal(res.statusCode, 200, res.body);
  const token = res.json<{ accessToken: string }>().accessToken;
  h.secrets.add(password).add(token);
  return { account, token, password, totpSecret };
}

/** An active instance of a subscription owned by a new customer account, on a plan of `planGib` GiB. */
export async function instanceOwnedBy(
  h: Harness,
  options: { planGib?: number; subdomain?: string; photoAppOwnerId?: string; appHostPort?: number } = {},
) {
  const owner = await signedInAccount(h);
  const planGib = options.planGib ?? 10;
  const planId = `plan-${planGib}`;
  await h.prisma.plan.upsert({
    where: { id: planId },
    update: {},
    create: {
      id: planId,
      name: `${planGib} GiB`,
      storageBytes: BigInt(planGib) * GIB,
      stripePriceId: `price_${planId}`,
      priceCents: 500,
    },
  });
  const subscription = await h.prisma.subscription.create({
    data: { accountId: owner.account.id, planId, state: 'active' },
  });
  const instance = await h.prisma.instance.create({
    data: {
      subscriptionId: subscription.id,
      subdomain: options.subdomain ?? unique('inst'),
      state: 'active',
    },
  });
  return { owner, instance, subdomain: instance.subdomain };
}

export async function nextMailTo(h: Harness, address: string, timeoutMs = 5000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = h.inbox.findIndex((m) => m.to.toLowerCase() === address.toLowerCase());
    if (i >= 0) return h.inbox.splice(i, 1)[0]!;
    if (Date.now() > deadline) throw new Error(`no e-mail to ${address} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function invitationToken(h: Harness, mail: Mail, subdomain: string): string {
  const match = new RegExp(
    `https://${subdomain}\\.${INSTANCE_DOMAIN.replace('.', '\\.')}/photoplane/register#token=([A-Za-z0-9_-]+)`,
  ).exec(mail.text);
  assert.ok(match, `an invitation link for ${subdomain} in:\n${mail.text}`);
  h.secrets.add(match[1]!);
  return match[1]!;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export function call(h: Harness, method: Method, url: string, token?: string, payload?: object) {
  return callWith(h, method, url, token ? { authorization: `Bearer ${token}` } : {}, payload);
}

/** A request with any headers, e.g. `x-api-key` or a user agent. */
export function callWith(h: Harness, method: Method, url: string, headers: Record<string, string>, payload?: object) {
  return h.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
}
