// The worker's configuration: the one place it reads the environment. Invalid values stop it at start-up.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from './contracts/index.ts';
import { DOCKER_TLS_FILES, parseDockerEndpoint } from './docker/endpoint.ts';
import { instanceUrlTemplateProblem } from './instance-url.ts';
import type { RetentionPolicy } from './contracts/backups.ts';
import { STACK_PROFILES, type ProfileImages, type StackProfileName } from './stack-profiles.ts';

export interface ProvisionerConfig {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  dockerHost: string;
  /** DOCKER_CERT_PATH: ca.pem, cert.pem and key.pem for mutual TLS; a tcp:// DOCKER_HOST is refused without it. */
  dockerCertPath: string | undefined;
  /** Name this worker's Docker host is registered under in the docker_host table. */
  dockerHostName: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** Master key for derived instance secrets and encrypted API keys (at least 32 characters). */
  secretKey: string;
  /** What instances are made of (see stack-profiles.ts). */
  stackProfile: StackProfileName;
  images: ProfileImages;
  /** Caddy's admin API, the HTTP server holding instance routes, and the domain instances live under. */
  caddyAdminUrl: string;
  caddyServerId: string;
  domain: string;
  /** `PHOTOPLANE_INSTANCE_URL`: an instance's origin with `{subdomain}` in it (see instance-url.ts). */
  instanceUrlTemplate: string;
  /**
   * `host:port` of the portal as Caddy dials it: every instance route sends `<host>/photoplane*` there (the member
   * sign-in pages and the OpenID provider). Required by the activities that write routes; undefined otherwise.
   */
  portalUpstream: string | undefined;
  /**
   * Local stack only: the edge's unix socket. Its folder is bind-mounted read-only into every photo-app container,
   * which dials it instead of resolving instance hosts (no DNS for *.localhost inside containers).
   */
  edgeSocket: string | undefined;
  /** WORKER_METRICS_ADDRESS: where the worker serves the Temporal SDK's Prometheus metrics; none when unset. */
  metricsAddress: string | undefined;
  /** How often the reconcile schedule compares this host's instances with Docker (SPEC V4). */
  reconcileEveryMinutes: number;
  /** How often every instance's usage is copied from its photo app (SPEC M4, M8); the storage watchdog runs with it. */
  usageSyncEveryMinutes: number;
  /**
   * PHOTOPLANE_STORAGE_GRACE_PERCENT: an instance whose volumes hold more than its plan plus this share is held
   * stopped by the storage watchdog (issue 13); default 10.
   */
  storageGracePercent: number;
  /** Outgoing mail (the owner's "ready" e-mail). */
  smtpUrl: string;
  mailFrom: string;
  /** Extra labels on every Docker resource the worker makes (e.g. env=prod; tests label a run). */
  resourceLabels: Record<string, string>;
  /** Backups (SPEC F1): restic, where the per-instance repositories live, when they run, what they keep. */
  backup: {
    restic: string;
    repositoryRoot: string;
    cron: string;
    checkCron: string;
    checkReadDataPercent: number;
    retention: Record<string, RetentionPolicy> | undefined;
  };
  /**
   * The owner's export (SPEC F1): PHOTOPLANE_EXPORT_DIR (shared with the portal, which serves the archives),
   * PORTAL_PUBLIC_URL (the mailed link's origin), PHOTOPLANE_EXPORT_LINK_DAYS (how long a link and its archive live).
   */
  exports: { exportDir: string; portalUrl: string; linkDays: number };
}

function readRetention(raw: string | undefined, problems: string[]): Record<string, RetentionPolicy> | undefined {
  if (!raw?.trim()) return undefined;
  const bad = () =>
    problems.push(
      'PHOTOPLANE_BACKUP_RETENTION must be JSON like {"default":{"daily":7,"weekly":4},"family":{"daily":14,"weekly":8,"monthly":6}}',
    );
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return void bad();
    const out: Record<string, RetentionPolicy> = {};
    for (const [plan, p] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
      const n = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1000;
      if (!p || !n(p.daily) || !n(p.weekly) || (p.monthly !== undefined && !n(p.monthly))) return void bad();
      out[plan] = {
        daily: p.daily as number,
        weekly: p.weekly as number,
        ...(p.monthly !== undefined ? { monthly: p.monthly as number } : {}),
      };
    }
    return out;
  } catch {
    return void bad();
  }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readProvisionerConfig(env: NodeJS.ProcessEnv = process.env): ProvisionerConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push(`${name} is required`);
    return v ?? '';
  };
  const databaseUrl = required('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL must be a postgresql:// URL');
  const dockerHost = env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  const dockerCertPath = env.DOCKER_CERT_PATH?.trim() || undefined;
  try {
    if (parseDockerEndpoint(dockerHost, dockerCertPath).kind === 'tcp-mtls') {
      const missing = Object.values(DOCKER_TLS_FILES).filter((f) => !fs.existsSync(path.join(dockerCertPath!, f)));
      if (missing.length) problems.push(`DOCKER_CERT_PATH (${dockerCertPath}) lacks ${missing.join(', ')}`);
    }
  } catch (e) {
    problems.push(`DOCKER_HOST: ${(e as Error).message}`);
  }
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as ProvisionerConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const secretKey = required('PHOTOPLANE_SECRET_KEY');
  if (secretKey && secretKey.length < 32) problems.push('PHOTOPLANE_SECRET_KEY must be at least 32 characters');
  const stackProfile = (env.PHOTOPLANE_STACK_PROFILE?.trim() || 'immich') as StackProfileName;
  if (!STACK_PROFILES.includes(stackProfile))
    problems.push(`PHOTOPLANE_STACK_PROFILE must be one of ${STACK_PROFILES.join(', ')}`);
  const images: ProfileImages = {
    app: env.PHOTO_APP_IMAGE?.trim() || undefined,
    db: env.PHOTO_DB_IMAGE?.trim() || undefined,
    cache: env.PHOTO_CACHE_IMAGE?.trim() || undefined,
  };
  if (stackProfile === 'standin' && (!images.app || !images.db || !images.cache))
    problems.push('PHOTOPLANE_STACK_PROFILE=standin needs PHOTO_APP_IMAGE, PHOTO_DB_IMAGE and PHOTO_CACHE_IMAGE');
  const caddyAdminUrl = env.CADDY_ADMIN_URL?.trim() || 'http://127.0.0.1:2019';
  if (!/^https?:\/\//.test(caddyAdminUrl)) problems.push('CADDY_ADMIN_URL must be an http(s) URL');
  const domain = (env.PHOTOPLANE_DOMAIN?.trim() || 'photos.localhost').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain))
    problems.push('PHOTOPLANE_DOMAIN must be a domain name such as photos.example.com');
  const instanceUrlTemplate = env.PHOTOPLANE_INSTANCE_URL?.trim() || `https://{subdomain}.${domain}`;
  const templateProblem = instanceUrlTemplateProblem(instanceUrlTemplate);
  if (templateProblem) problems.push(`PHOTOPLANE_INSTANCE_URL ${templateProblem} (e.g. https://{subdomain}.${domain})`);
  const portalUpstream = env.PORTAL_UPSTREAM?.trim().toLowerCase() || undefined;
  if (
    portalUpstream !== undefined &&
    !/^[a-zA-Z0-9.-]+:[0-9]{1,5}$|^\[[0-9a-fA-F:.]+\]:[0-9]{1,5}$/.test(portalUpstream)
  )
    problems.push('PORTAL_UPSTREAM must be host:port (where Caddy reaches the portal, e.g. 127.0.0.1:3000)');
  const edgeSocket = env.PHOTOPLANE_EDGE_SOCKET?.trim() || undefined;
  if (edgeSocket !== undefined && !path.isAbsolute(edgeSocket))
    problems.push('PHOTOPLANE_EDGE_SOCKET must be an absolute path');
  const reconcileEveryMinutes = Number(env.PHOTOPLANE_RECONCILE_EVERY_MINUTES?.trim() || '5');
  if (!Number.isInteger(reconcileEveryMinutes) || reconcileEveryMinutes < 1 || reconcileEveryMinutes > 1440)
    problems.push('PHOTOPLANE_RECONCILE_EVERY_MINUTES must be a whole number of minutes from 1 to 1440');
  const usageSyncEveryMinutes = Number(env.PHOTOPLANE_USAGE_SYNC_EVERY_MINUTES?.trim() || '2');
  if (!Number.isInteger(usageSyncEveryMinutes) || usageSyncEveryMinutes < 1 || usageSyncEveryMinutes > 1440)
    problems.push('PHOTOPLANE_USAGE_SYNC_EVERY_MINUTES must be a whole number of minutes from 1 to 1440');
  const storageGracePercent = Number(env.PHOTOPLANE_STORAGE_GRACE_PERCENT?.trim() || '10');
  if (!Number.isInteger(storageGracePercent) || storageGracePercent < 0 || storageGracePercent > 1000)
    problems.push('PHOTOPLANE_STORAGE_GRACE_PERCENT must be a whole percentage from 0 to 1000');
  const smtpUrl = env.SMTP_URL?.trim() || 'smtp://127.0.0.1:1025';
  if (!/^smtps?:\/\/[^/]/.test(smtpUrl)) problems.push('SMTP_URL must be an smtp:// or smtps:// URL');
  const resourceLabels: Record<string, string> = {};
  for (const pair of (env.PHOTOPLANE_RESOURCE_LABELS ?? '').split(',').filter((p) => p.trim())) {
    const [key, value] = pair.split('=').map((x) => x.trim());
    if (!key || value === undefined || key.startsWith('photoplane.instance') || key.startsWith('photoplane.role'))
      problems.push(
        `PHOTOPLANE_RESOURCE_LABELS: "${pair}" must be key=value and must not replace Photoplane's own labels`,
      );
    else resourceLabels[key] = value;
  }
  const metricsAddress = env.WORKER_METRICS_ADDRESS?.trim() || undefined;
  if (metricsAddress && !/^[\w.:[\]-]+:\d{1,5}$/.test(metricsAddress))
    problems.push('WORKER_METRICS_ADDRESS must be host:port, e.g. 127.0.0.1:9464');
  const backupRoot = env.PHOTOPLANE_BACKUP_REPOSITORY?.trim() || '/var/lib/photoplane/backups';
  if (!path.isAbsolute(backupRoot) && !/^[a-z0-9]+:/.test(backupRoot))
    problems.push('PHOTOPLANE_BACKUP_REPOSITORY must be an absolute folder or a restic URL (rest:…, s3:…, sftp:…)');
  const cronProblem = (name: string, v: string) => {
    if (v.split(/\s+/).length !== 5) problems.push(`${name} must be a cron expression of 5 fields, e.g. "0 2 * * *"`);
  };
  const backupCron = env.PHOTOPLANE_BACKUP_CRON?.trim() || '0 2 * * *';
  cronProblem('PHOTOPLANE_BACKUP_CRON', backupCron);
  const backupCheckCron = env.PHOTOPLANE_BACKUP_CHECK_CRON?.trim() || '0 4 * * 0';
  cronProblem('PHOTOPLANE_BACKUP_CHECK_CRON', backupCheckCron);
  const checkPercent = Number(env.PHOTOPLANE_BACKUP_CHECK_READ_PERCENT?.trim() || '10');
  if (!Number.isInteger(checkPercent) || checkPercent < 0 || checkPercent > 100)
    problems.push('PHOTOPLANE_BACKUP_CHECK_READ_PERCENT must be a whole number from 0 to 100');
  const retention = readRetention(env.PHOTOPLANE_BACKUP_RETENTION, problems);
  const exportDir = env.PHOTOPLANE_EXPORT_DIR?.trim() || '/var/lib/photoplane/exports';
  if (!path.isAbsolute(exportDir)) problems.push('PHOTOPLANE_EXPORT_DIR must be an absolute folder');
  const portalUrl = (env.PORTAL_PUBLIC_URL?.trim() || `https://portal.${domain}`).replace(/\/+$/, '');
  if (!URL.canParse(portalUrl) || !/^https?:$/.test(new URL(portalUrl).protocol))
    problems.push('PORTAL_PUBLIC_URL must be an http(s) URL, e.g. https://portal.example.com');
  const linkDays = Number(env.PHOTOPLANE_EXPORT_LINK_DAYS?.trim() || '3');
  if (!Number.isInteger(linkDays) || linkDays < 1 || linkDays > 30)
    problems.push('PHOTOPLANE_EXPORT_LINK_DAYS must be a whole number of days from 1 to 30');
  if (problems.length) throw new ConfigError(`invalid provisioner configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    databaseUrl,
    temporalAddress: env.TEMPORAL_ADDRESS?.trim() || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE,
    dockerHost,
    dockerCertPath,
    dockerHostName: env.PHOTOPLANE_DOCKER_HOST_NAME?.trim() || 'local',
    logLevel,
    secretKey,
    stackProfile,
    images,
    caddyAdminUrl,
    caddyServerId: env.CADDY_SERVER_ID?.trim() || 'photoplane',
    domain,
    instanceUrlTemplate,
    portalUpstream,
    edgeSocket,
    metricsAddress,
    resourceLabels,
    reconcileEveryMinutes,
    usageSyncEveryMinutes,
    storageGracePercent,
    smtpUrl,
    mailFrom: env.MAIL_FROM?.trim() || `Photoplane <noreply@${domain}>`,
    backup: {
      restic: env.PHOTOPLANE_RESTIC?.trim() || 'restic',
      repositoryRoot: backupRoot,
      cron: backupCron,
      checkCron: backupCheckCron,
      checkReadDataPercent: checkPercent,
      retention,
    },
    exports: { exportDir, portalUrl, linkDays },
  };
}
