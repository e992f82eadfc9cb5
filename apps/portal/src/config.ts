// The portal's configuration: the one place it reads the environment. Invalid values stop it at start-up with
// every problem listed, not the first one.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { DEFAULT_HASHING_LIMITS } from './platform/hashing-queue.ts';
import { DEFAULT_TASK_QUEUE } from '@photoplane/provisioner/contracts';
import {
  DEFAULT_GRACE_DAYS,
  DEFAULT_RETENTION_DAYS,
  isDomainError,
  parsePlans,
  type Plan,
} from '@photoplane/tenant-model';

export interface PortalConfig {
  host: string;
  port: number;
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /**
   * Proxies (the edge) whose X-Forwarded-For is believed, so throttles and recorded sign-ins see the client's
   * address; empty: the peer's address is the client's.
   */
  trustProxy: string[];
  /**
   * METRICS_TOKEN: the bearer token a Prometheus that is not on this machine scrapes `/metrics` with; without it only
   * a direct (not proxied) loopback request may read them.
   */
  metricsToken: string | undefined;
  /** NODE_ENV=production: every secret and public address must then be given explicitly. */
  production: boolean;
  /** HS256 key for access tokens, at least 32 characters. */
  jwtSecret: string;
  /**
   * True when JWT_SECRET was absent outside production and a random per-process key was made, so `npm start`
   * works from a fresh clone; every access token then dies with the process, which the portal logs as a warning.
   */
  jwtSecretGenerated: boolean;
  /**
   * Key material (at least 32 characters) for AES-256-GCM encryption of members' TOTP secrets (U6), which must be
   * read back to check codes and so cannot be hashes. Required in production; `npm start` derives it.
   */
  totpEncryptionKey: string;
  /** True when TOTP_ENCRYPTION_KEY was absent outside production: two-factor set up now dies with the process. */
  totpEncryptionKeyGenerated: boolean;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Sign-in attempts allowed per (client address, account) within one minute; past it, per account, tries wait. */
  loginAttemptsPerMinute: number;
  /** Sign-in attempts allowed per client address within one minute, whatever the accounts. */
  loginAttemptsPerAddressPerMinute: number;
  /** How long each sign-in try on an account waits once the account had loginAttemptsPerMinute tries this minute. */
  loginAccountDelayMs: number;
  /** Requests per minute per client address to each unauthenticated route (sign-up, reset, verify, refresh …). */
  unauthenticatedRequestsPerMinute: number;
  /** Password hashes (argon2id, 19 MiB each) running at once, and how many may wait before 503. */
  passwordHashing: { concurrency: number; maxWaiting: number };
  /** smtp:// or smtps:// URL of the mail relay, credentials included if it needs them. */
  smtpUrl: string;
  /** The From header of every e-mail the portal sends. */
  mailFrom: string;
  /** Where users reach the portal; links in e-mails start with it. No trailing slash. */
  publicUrl: string;
  /** The provisioner's task queue, where the portal starts subscription workflows. */
  temporalTaskQueue: string;
  /** PHOTOPLANE_EXPORT_DIR: where the worker writes the owners' exports (SPEC F1), served from here by their links. */
  exportDir: string;
  /** Instances live at <subdomain>.<domain>. */
  domain: string;
  /**
   * An instance's public origin, with `{subdomain}` in place of its name (PHOTOPLANE_INSTANCE_URL): where members'
   * links point and what the OpenID provider's issuer is built on. Default `https://{subdomain}.<domain>`.
   */
  instanceUrlTemplate: string;
  /** The OpenID provider of every instance (SPEC I1). */
  oidc: OidcConfig;
  stripe: StripeConfig;
  /** The plan catalogue (SPEC P3), upserted into the plan table at start. */
  plans: CatalogPlan[];
  billing: BillingConfig;
  /** How long a staff sign-in lasts at most (SPEC A6); refreshing does not extend it. */
  staffSessionTtlSeconds: number;
}

export interface OidcConfig {
  /**
   * Key material (32+ characters) for the provider's own secrets: its cookie keys, the encryption of its signing
   * keys, and the short proofs its sign-in pages hand from one step to the next. `npm start` derives it.
   */
  secretKey: string;
  secretKeyGenerated: boolean;
  /**
   * The key instances' client secrets are derived from (HMAC-SHA256 of the instance id), base64url of 32 bytes:
   * the worker derives the same key from the master key and writes the secret into the photo app's settings.
   */
  clientSecretKey: string;
}

export interface StripeConfig {
  secretKey: string;
  /** STRIPE_API_URL: another API endpoint than Stripe's own (stripe-mock in tests and `npm start`). */
  apiUrl: string | undefined;
  /** Signs webhook deliveries (whsec_...). */
  webhookSecret: string;
}

export interface CatalogPlan extends Plan {
  priceCents: number;
  currency: string;
}

export interface BillingConfig {
  /** Past due → suspended (SPEC P7). */
  graceDays: number;
  /** Retained → deprovisioned (SPEC P8). */
  retentionDays: number;
  /** How long a checkout holds its subdomain; also the Checkout Session's lifetime (Stripe allows 30 to 1440). */
  checkoutHoldMinutes: number;
}

/** The catalogue `npm start` offers when PLANS is not set; its prices exist only in stripe-mock. */
export const DEFAULT_PLANS = [
  { id: 'starter', name: 'Starter', storageGib: 100, stripePriceId: 'price_photoplane_starter', priceCents: 500 },
  { id: 'family', name: 'Family', storageGib: 1024, stripePriceId: 'price_photoplane_family', priceCents: 1200 },
];

/** PLANS: a JSON list of {id, name, storageGib, stripePriceId, priceCents, currency?}; problems go to `problems`. */
export function readPlans(raw: unknown, problems: string[]): CatalogPlan[] {
  let plans: Plan[];
  try {
    plans = parsePlans(raw);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    problems.push(`PLANS: ${e.message}`);
    return [];
  }
  return plans.map((plan, index) => {
    const entry = (raw as Record<string, unknown>[])[index]!;
    const { priceCents, currency = 'eur' } = entry;
    if (typeof priceCents !== 'number' || !Number.isSafeInteger(priceCents) || priceCents < 0)
      problems.push(`PLANS: plans[${index}].priceCents must be a whole number of cents`);
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency))
      problems.push(`PLANS: plans[${index}].currency must be a lowercase ISO 4217 code such as eur`);
    return { ...plan, priceCents: Number(priceCents), currency: String(currency) };
  });
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const MIN_JWT_SECRET_LENGTH = 32;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readPortalConfig(env: NodeJS.ProcessEnv = process.env): PortalConfig {
  const problems: string[] = [];
  const get = (name: string) => env[name]?.trim() || undefined;
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const databaseUrl = get('DATABASE_URL') ?? '';
  if (!databaseUrl) problems.push('DATABASE_URL is required (postgresql://user:password@host:port/database)');
  else if (!/^postgres(ql)?:\/\//.test(databaseUrl)) problems.push('DATABASE_URL must be a postgresql:// URL');
  const logLevel = (get('LOG_LEVEL') ?? 'info') as PortalConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const production = get('NODE_ENV') === 'production';
  // Outside production a missing value gets a local default; in production a default would be a silent
  // misconfiguration (mail links to localhost, tokens signed with a throw-away key), so it is an error.
  const required = (name: string, devDefault: () => string, hint: string): string => {
    const value = get(name);
    if (value !== undefined) return value;
    if (production) problems.push(`${name} is required in production (${hint})`);
    return devDefault();
  };
  const port = int('PORT', 3000, 0, 65535);

  const jwtSecretGiven = get('JWT_SECRET');
  const jwtSecret = required('JWT_SECRET', () => randomBytes(32).toString('base64url'), 'at least 32 characters');
  if (jwtSecretGiven !== undefined && jwtSecretGiven.length < MIN_JWT_SECRET_LENGTH)
    problems.push(`JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters, got ${jwtSecretGiven.length}`);

  const totpKeyGiven = get('TOTP_ENCRYPTION_KEY');
  const totpEncryptionKey = required(
    'TOTP_ENCRYPTION_KEY',
    () => randomBytes(32).toString('base64url'),
    "at least 32 characters; losing it disables every member's two-factor sign-in",
  );
  if (totpKeyGiven !== undefined && totpKeyGiven.length < 32)
    problems.push(`TOTP_ENCRYPTION_KEY must be at least 32 characters, got ${totpKeyGiven.length}`);

  const smtpUrl = required('SMTP_URL', () => 'smtp://127.0.0.1:1025', 'smtp://user:password@host:587');
  if (!/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push('SMTP_URL must be an smtp:// or smtps:// URL');

  const publicUrl = required('PORTAL_PUBLIC_URL', () => `http://127.0.0.1:${port}`, 'e.g. https://portal.example.com');
  if (!URL.canParse(publicUrl) || !/^https?:$/.test(new URL(publicUrl).protocol))
    problems.push('PORTAL_PUBLIC_URL must be an http:// or https:// URL');

  const exportDir = get('PHOTOPLANE_EXPORT_DIR') ?? '/var/lib/photoplane/exports';
  if (!path.isAbsolute(exportDir)) problems.push('PHOTOPLANE_EXPORT_DIR must be an absolute folder');

  const stripeApiUrl = get('STRIPE_API_URL');
  if (stripeApiUrl !== undefined && (!URL.canParse(stripeApiUrl) || !/^https?:$/.test(new URL(stripeApiUrl).protocol)))
    problems.push('STRIPE_API_URL must be an http:// or https:// URL');
  const stripeSecretKey = required('STRIPE_SECRET_KEY', () => 'sk_test_photoplanelocal', 'sk_live_... or sk_test_...');
  const webhookSecret = required(
    'STRIPE_WEBHOOK_SECRET',
    // Outside production without a secret, no delivery can be verified: webhooks are refused, never trusted.
    () => `whsec_${randomBytes(32).toString('hex')}`,
    'whsec_... from the webhook endpoint in the Stripe dashboard',
  );
  let plansRaw: unknown = DEFAULT_PLANS;
  const plansJson = required(
    'PLANS',
    () => JSON.stringify(DEFAULT_PLANS),
    'a JSON list of plans mapped to Stripe prices',
  );
  try {
    plansRaw = JSON.parse(plansJson);
  } catch {
    problems.push('PLANS must be JSON: [{"id","name","storageGib","stripePriceId","priceCents","currency"}]');
  }
  const plans = readPlans(plansRaw, problems);
  const domain = (get('PHOTOPLANE_DOMAIN') ?? 'photos.localhost').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain))
    problems.push('PHOTOPLANE_DOMAIN must be a domain name such as photos.example.com');

  const instanceUrlTemplate = (get('PHOTOPLANE_INSTANCE_URL') ?? `https://{subdomain}.${domain}`).replace(/\/+$/, '');
  {
    const sample = instanceUrlTemplate.replace('{subdomain}', 'sample');
    if (!instanceUrlTemplate.includes('{subdomain}') || !URL.canParse(sample) || new URL(sample).pathname !== '/')
      problems.push(
        'PHOTOPLANE_INSTANCE_URL must be an origin with {subdomain} in it, e.g. https://{subdomain}.photos.example.com',
      );
  }
  const oidcKeyGiven = get('OIDC_SECRET_KEY');
  const oidcSecretKey = required(
    'OIDC_SECRET_KEY',
    () => randomBytes(32).toString('base64url'),
    'at least 32 characters',
  );
  if (oidcKeyGiven !== undefined && oidcKeyGiven.length < 32)
    problems.push(`OIDC_SECRET_KEY must be at least 32 characters, got ${oidcKeyGiven.length}`);
  const oidcClientSecretKey = required(
    'OIDC_CLIENT_SECRET_KEY',
    () => randomBytes(32).toString('base64url'),
    "base64url of HMAC-SHA256(PHOTOPLANE_SECRET_KEY, 'photoplane/oidc-client-secret/v1'), as the worker derives it",
  );
  if (Buffer.from(oidcClientSecretKey, 'base64url').length < 32)
    problems.push('OIDC_CLIENT_SECRET_KEY must be base64url of at least 32 bytes');

  const trustProxy = (get('TRUST_PROXY') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const entry of trustProxy) if (!isProxyAddress(entry)) problems.push(`TRUST_PROXY: "${entry}" ${PROXY_HINT}`);

  const metricsToken = get('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 32)
    problems.push(`METRICS_TOKEN must be at least 32 characters, got ${metricsToken.length}`);

  const config: PortalConfig = {
    host: get('HOST') ?? '127.0.0.1',
    port,
    databaseUrl,
    temporalAddress: get('TEMPORAL_ADDRESS') ?? '127.0.0.1:7233',
    temporalNamespace: get('TEMPORAL_NAMESPACE') ?? 'default',
    logLevel,
    bodyLimit: int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    trustProxy,
    metricsToken,
    production,
    jwtSecret,
    jwtSecretGenerated: jwtSecretGiven === undefined,
    totpEncryptionKey,
    totpEncryptionKeyGenerated: totpKeyGiven === undefined,
    jwtIssuer: get('JWT_ISSUER') ?? 'photoplane',
    jwtAudience: get('JWT_AUDIENCE') ?? 'photoplane-portal',
    accessTokenTtlSeconds: int('ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 10, 24 * 60 * 60),
    refreshTokenTtlSeconds: int('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
    loginAttemptsPerMinute: int('LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 10_000),
    loginAttemptsPerAddressPerMinute: int('LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE', 30, 1, 100_000),
    loginAccountDelayMs: int('LOGIN_ACCOUNT_DELAY_MS', 1000, 0, 30_000),
    unauthenticatedRequestsPerMinute: int('UNAUTHENTICATED_REQUESTS_PER_MINUTE', 30, 1, 100_000),
    passwordHashing: {
      concurrency: int('PASSWORD_HASHING_CONCURRENCY', DEFAULT_HASHING_LIMITS.concurrency, 1, 256),
      maxWaiting: int('PASSWORD_HASHING_QUEUE', 64, 0, 100_000),
    },
    smtpUrl,
    mailFrom: required(
      'MAIL_FROM',
      () => 'Photoplane <no-reply@photoplane.localhost>',
      'e.g. Photoplane <no-reply@example.com>',
    ),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    temporalTaskQueue: get('TEMPORAL_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE,
    exportDir,
    domain,
    instanceUrlTemplate,
    oidc: {
      secretKey: oidcSecretKey,
      secretKeyGenerated: oidcKeyGiven === undefined,
      clientSecretKey: oidcClientSecretKey,
    },
    stripe: { secretKey: stripeSecretKey, apiUrl: stripeApiUrl, webhookSecret },
    plans,
    billing: {
      graceDays: int('GRACE_PERIOD_DAYS', DEFAULT_GRACE_DAYS, 0, 365),
      retentionDays: int('RETENTION_DAYS', DEFAULT_RETENTION_DAYS, 0, 3650),
      checkoutHoldMinutes: int('CHECKOUT_HOLD_MINUTES', 60, 30, 24 * 60),
    },
    staffSessionTtlSeconds: int('STAFF_SESSION_TTL_SECONDS', 8 * 60 * 60, 60, 7 * 24 * 60 * 60),
  };
  if (problems.length) throw new ConfigError(`invalid portal configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

const PROXY_HINT = 'must be an IP address, a CIDR range (10.0.0.0/8) or loopback, linklocal, uniquelocal';

/** What proxy-addr (fastify's trustProxy) accepts: addresses, CIDR ranges and its three named ranges. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^[0-9]+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}
