// What an instance is made of, per deployment: the images, limits and health checks that go into
// buildInstanceStackSpec. `immich` is production (Immich's own images, health checks as in its compose file);
// `standin` is for machines that cannot pull them (tests, offline demos): the project's Immich stand-in as the
// app and a static busybox playing the database and cache ports.
import type { ContainerHardening, InstanceStackInput } from './docker/index.ts';

export type StackProfileName = 'immich' | 'standin';
export const STACK_PROFILES: readonly StackProfileName[] = ['immich', 'standin'];

export type StackProfile = Omit<
  InstanceStackInput,
  'instanceId' | 'subscriptionId' | 'database' | 'extraLabels' | 'edgeSocketPath'
>;

/** The Immich version @immich/sdk (the adapter's client) speaks; the production image is pinned to it. */
export const IMMICH_VERSION = '3.2.2';

export interface ProfileImages {
  app?: string | undefined;
  db?: string | undefined;
  cache?: string | undefined;
}

const MiB = 1024 * 1024;

/**
 * PostgreSQL's and Valkey's entrypoints start as root, chown their data folder and drop to their own user
 * (gosu/setpriv): that, and nothing else, is what these capabilities are for.
 */
const DROPS_TO_OWN_USER = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'];

function immich(images: ProfileImages): StackProfile {
  return {
    images: {
      // Pinned, not `release`: the adapter speaks one API version, and an image that moves under it breaks it.
      app: images.app ?? `ghcr.io/immich-app/immich-server:v${IMMICH_VERSION}`,
      db: images.db ?? 'ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0',
      cache: images.cache ?? 'docker.io/valkey/valkey:8-bookworm',
    },
    resources: {
      // Thumbnailing and video transcoding run many threads (each counts as a pid).
      app: { memoryBytes: 2048 * MiB, nanoCpus: 2e9, pidsLimit: 2048 },
      db: { memoryBytes: 1024 * MiB, nanoCpus: 1e9, pidsLimit: 512 },
      cache: { memoryBytes: 256 * MiB, nanoCpus: 0.5e9, pidsLimit: 128 },
    },
    hardening: {
      // Immich's server runs as root and owns what it writes, so it needs no capability. Its root stays writable:
      // which paths it writes besides /tmp and the media folder has not been checked against the real image here
      // (no registry is reachable), and a read-only root that breaks an upload is worse than none.
      app: { capAdd: [], readOnlyRootfs: false, tmpfs: ['/tmp'] },
      // As the postgres image documents for --read-only: the socket folder and /tmp are all it writes outside PGDATA.
      db: { capAdd: DROPS_TO_OWN_USER, readOnlyRootfs: true, tmpfs: ['/var/run/postgresql', '/tmp'] },
      // The cache is a cache: its /data (an anonymous volume otherwise) is a tmpfs, bounded by its memory limit.
      cache: { capAdd: DROPS_TO_OWN_USER, readOnlyRootfs: true, tmpfs: ['/data', '/tmp'] },
    },
    healthchecks: {
      app: { test: ['CMD-SHELL', 'immich-healthcheck'], intervalMs: 10_000, startPeriodMs: 120_000 },
      db: { test: ['CMD-SHELL', 'pg_isready --dbname="$POSTGRES_DB" --username="$POSTGRES_USER"'], intervalMs: 5_000 },
      cache: { test: ['CMD-SHELL', 'redis-cli ping || exit 1'], intervalMs: 5_000 },
    },
    appPort: 2283,
  };
}

/** busybox httpd answering on the port, so that a health check's GET gets 200 (httpd 404s without an index). */
function httpdOn(port: number): string[] {
  return ['sh', '-c', `mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${port} -h /www`];
}

const STANDIN_APP: ContainerHardening = { capAdd: [], readOnlyRootfs: true, tmpfs: ['/tmp'] };
const STANDIN_HTTPD: ContainerHardening = { capAdd: [], readOnlyRootfs: true, tmpfs: ['/www', '/tmp'] };

function standin(images: ProfileImages): StackProfile {
  if (!images.app || !images.db || !images.cache) {
    throw new Error(
      'the standin profile needs PHOTO_APP_IMAGE, PHOTO_DB_IMAGE and PHOTO_CACHE_IMAGE (built by the stack)',
    );
  }
  const fast = { intervalMs: 500, timeoutMs: 2_000, retries: 5, startPeriodMs: 10_000 };
  const get = (port: number) => ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}/`];
  return {
    images: { app: images.app, db: images.db, cache: images.cache },
    resources: {
      app: { memoryBytes: 128 * MiB, nanoCpus: 0.5e9, pidsLimit: 256 },
      db: { memoryBytes: 32 * MiB, nanoCpus: 0.2e9, pidsLimit: 64 },
      cache: { memoryBytes: 32 * MiB, nanoCpus: 0.2e9, pidsLimit: 64 },
    },
    // Every stand-in runs as root on files it owns: no capability, read-only root; httpd's page goes to a tmpfs.
    hardening: { app: STANDIN_APP, db: STANDIN_HTTPD, cache: STANDIN_HTTPD },
    healthchecks: {
      app: { test: ['CMD', '/photo-app-standin', '-healthcheck'], ...fast },
      db: { test: get(5432), ...fast },
      cache: { test: get(6379), ...fast },
    },
    commands: { db: httpdOn(5432), cache: httpdOn(6379) },
    appPort: 2283,
  };
}

export function stackProfile(name: StackProfileName, images: ProfileImages): StackProfile {
  return name === 'immich' ? immich(images) : standin(images);
}
