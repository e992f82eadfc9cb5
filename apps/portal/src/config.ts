// The portal's configuration: the one place it reads the environment. Invalid values stop it at start-up with
// every problem listed, not the first one.
import { randomBytes } from 'node:crypto';

export interface PortalConfig {
  host: string;
  port: number;
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** NODE_ENV=production: every secret and public address must then be given explicitly. */
  production: boolean;
  /** HS256 key for access tokens, at least 32 characters. */
  jwtSecret: string;
  /**
   * True when JWT_SECRET was absent outside production and a random per-process key was made, so `npm start`
   * works from a fresh clone; every access token then dies with the process, which the portal logs as a warning.
   */
  jwtSecretGenerated: boolean;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Sign-in attempts allowed per client IP and, separately, per e-mail address within one minute. */
  loginAttemptsPerMinute: number;
  /** smtp:// or smtps:// URL of the mail relay, credentials included if it needs them. */
  smtpUrl: string;
  /** The From header of every e-mail the portal sends. */
  mailFrom: string;
  /** Where users reach the portal; links in e-mails start with it. No trailing slash. */
  publicUrl: string;
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

  const smtpUrl = required('SMTP_URL', () => 'smtp://127.0.0.1:1025', 'smtp://user:password@host:587');
  if (!/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push('SMTP_URL must be an smtp:// or smtps:// URL');

  const publicUrl = required('PORTAL_PUBLIC_URL', () => `http://127.0.0.1:${port}`, 'e.g. https://portal.example.com');
  if (!URL.canParse(publicUrl) || !/^https?:$/.test(new URL(publicUrl).protocol))
    problems.push('PORTAL_PUBLIC_URL must be an http:// or https:// URL');

  const config: PortalConfig = {
    host: get('HOST') ?? '127.0.0.1',
    port,
    databaseUrl,
    temporalAddress: get('TEMPORAL_ADDRESS') ?? '127.0.0.1:7233',
    temporalNamespace: get('TEMPORAL_NAMESPACE') ?? 'default',
    logLevel,
    bodyLimit: int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    production,
    jwtSecret,
    jwtSecretGenerated: jwtSecretGiven === undefined,
    jwtIssuer: get('JWT_ISSUER') ?? 'photoplane',
    jwtAudience: get('JWT_AUDIENCE') ?? 'photoplane-portal',
    accessTokenTtlSeconds: int('ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 10, 24 * 60 * 60),
    refreshTokenTtlSeconds: int('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
    loginAttemptsPerMinute: int('LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 10_000),
    smtpUrl,
    mailFrom: required(
      'MAIL_FROM',
      () => 'Photoplane <no-reply@photoplane.localhost>',
      'e.g. Photoplane <no-reply@example.com>',
    ),
    publicUrl: publicUrl.replace(/\/+$/, ''),
  };
  if (problems.length) throw new ConfigError(`invalid portal configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
