// The one place the stack scripts read the environment. Every variable is listed in docs/configuration.md.
import os from 'node:os';
import path from 'node:path';
import { EdgeConfigError, parseRateLimit, type EdgeRateLimit } from './edge-config.ts';
import { StackProblem } from './problem.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export interface StackConfig {
  /** Use this PostgreSQL instead of starting one (the database must exist; migrations are applied to it). */
  databaseUrl: string | undefined;
  /** Use this Temporal frontend (host:port) instead of starting a dev server. */
  temporalAddress: string | undefined;
  /** Temporal CLI binary to run the dev server with. */
  temporalCli: string | undefined;
  /** Docker Engine endpoint (unix:///path or tcp://host:port) instead of finding or starting one. */
  dockerHost: string | undefined;
  /** Where PostgreSQL data, logs and the project's dockerd state live for `npm start`. */
  dataDir: string;
  /** Cache of tools built once with `go install` (Temporal CLI, stripe-mock, Caddy). Outside the clone by default. */
  toolsDir: string;
  /**
   * As root only: the root-owned, world-traversable folder where PostgreSQL's binaries and clusters live, so that
   * the `postgres` user reaches them wherever the clone is (a clone under a 0700 folder is out of its reach).
   */
  postgresRoot: string;
  /** First-run steps scripts/photoplane-stack.mjs timed before handing over (npm install), for the summary. */
  bootstrapSteps: { step: string; ms: number }[];
  /** Ports for `npm start`; tests always take free ones. */
  portalPort: number;
  postgresPort: number;
  temporalPort: number;
  caddyAdminPort: number;
  caddyHttpPort: number;
  stripeMockPort: number;
  smtpPort: number;
  /** Instances answer at <subdomain>.<domain> behind Caddy. */
  domain: string;
  /**
   * The edge's per-address limit on the members' public pages (PHOTOPLANE_EDGE_PUBLIC_LIMIT, _BURST); undefined: the
   * mode's default (npm start: the production default; npm test: one that the tests' sign-ins from 127.0.0.1 stay
   * under). null: none.
   */
  edgePublicRateLimit: EdgeRateLimit | null | undefined;
}

function intFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new StackProblem(
      `${name} must be a TCP port (1-65535), got "${raw}"`,
      `set ${name} to a free port or unset it`,
    );
  return n;
}

function nonEmpty(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** The stack hands DOCKER_HOST to the worker, which refuses plain tcp:// (root for whoever reaches the port). */
function dockerHostFrom(): string | undefined {
  const host = nonEmpty('DOCKER_HOST');
  if (host?.startsWith('tcp://') && !nonEmpty('DOCKER_CERT_PATH'))
    throw new StackProblem(
      `DOCKER_HOST ${host} is plain, unauthenticated HTTP: whoever reaches the port is root on that host`,
      'use a unix:// socket, or a dockerd run with --tlsverify and DOCKER_CERT_PATH pointing at ca.pem, cert.pem, key.pem',
    );
  return host;
}

export function readStackConfig(): StackConfig {
  return {
    databaseUrl: nonEmpty('DATABASE_URL'),
    temporalAddress: nonEmpty('TEMPORAL_ADDRESS'),
    temporalCli: nonEmpty('TEMPORAL_CLI'),
    dockerHost: dockerHostFrom(),
    dataDir: path.resolve(nonEmpty('PHOTOPLANE_DATA_DIR') ?? path.join(repoRoot, '.data')),
    toolsDir: path.resolve(
      nonEmpty('PHOTOPLANE_TOOLS_DIR') ?? path.join(os.homedir(), '.cache', 'photoplane', 'tools'),
    ),
    postgresRoot: path.resolve(nonEmpty('PHOTOPLANE_POSTGRES_ROOT') ?? '/var/lib/photoplane'),
    bootstrapSteps: bootstrapSteps(),
    portalPort: intFrom('PORTAL_PORT', 3000),
    postgresPort: intFrom('PHOTOPLANE_POSTGRES_PORT', 54329),
    temporalPort: intFrom('PHOTOPLANE_TEMPORAL_PORT', 7233),
    caddyAdminPort: intFrom('PHOTOPLANE_CADDY_ADMIN_PORT', 2019),
    caddyHttpPort: intFrom('PHOTOPLANE_CADDY_HTTP_PORT', 8080),
    stripeMockPort: intFrom('PHOTOPLANE_STRIPE_MOCK_PORT', 12111),
    smtpPort: intFrom('PHOTOPLANE_SMTP_PORT', 1025),
    domain: nonEmpty('PHOTOPLANE_DOMAIN') ?? 'photos.localhost',
    edgePublicRateLimit: edgeRateLimitFrom(),
  };
}

function edgeRateLimitFrom(): EdgeRateLimit | null | undefined {
  const limit = nonEmpty('PHOTOPLANE_EDGE_PUBLIC_LIMIT');
  const burst = nonEmpty('PHOTOPLANE_EDGE_PUBLIC_BURST');
  if (limit === undefined && burst === undefined) return undefined;
  try {
    if (limit === undefined) throw new EdgeConfigError('publicRateLimit', 'a burst needs a limit');
    return parseRateLimit(limit, burst);
  } catch (e) {
    throw new StackProblem(
      `PHOTOPLANE_EDGE_PUBLIC_LIMIT/_BURST: ${e instanceof Error ? e.message : String(e)}`,
      'set PHOTOPLANE_EDGE_PUBLIC_LIMIT to <events>/<window> such as 60/1m (or off), PHOTOPLANE_EDGE_PUBLIC_BURST to a whole number',
    );
  }
}

function bootstrapSteps(): { step: string; ms: number }[] {
  try {
    const steps: unknown = JSON.parse(process.env.PHOTOPLANE_BOOTSTRAP_STEPS ?? '[]');
    return Array.isArray(steps) ? (steps as { step: string; ms: number }[]) : [];
  } catch {
    return [];
  }
}
