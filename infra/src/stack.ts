// The local stack: every real component Photoplane needs, started (or found) in order and stopped in reverse.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateDeploy } from '@photoplane/db';
import type { StackConfig } from './config.ts';
import { ensureCaddy, type Caddy } from './caddy.ts';
import { DEFAULT_EDGE_RATE_LIMIT, type EdgeRateLimit } from './edge-config.ts';
import { startSmtpCatcher, type SmtpCatcher } from './smtp.ts';
import { ensureStripeMock, type StripeMock } from './stripe-mock.ts';
import { ensureDocker, startDockerd, type DockerEngine } from './docker.ts';
import { ensureGoTool, RESTIC } from './go-tools.ts';
import { busyboxImageSpec, ensureImage, photoAppStandinImageSpec } from './images.ts';
import { acquireLock } from './lock.ts';
import { recordFirstRunStep, say } from './log.ts';
import { ensurePostgres, removeStaleClusters, type Postgres } from './postgres.ts';
import { preflight } from './preflight.ts';
import { ExitedBeforeReadyError, freePort } from './process.ts';
import { ensureTemporal, type Temporal } from './temporal.ts';

/** The test stack's edge limit on the members' pages (see ensureCaddy). */
const TEST_EDGE_RATE_LIMIT: EdgeRateLimit = { events: 6000, windowSeconds: 60, burst: 1000 };

export type StackMode = 'start' | 'test';

export interface Stack {
  postgres: Postgres;
  temporal: Temporal;
  docker: DockerEngine;
  /** Tests only: a second engine playing a second Docker host, for placement (SPEC V5). */
  secondDocker: DockerEngine | undefined;
  caddy: Caddy;
  stripe: StripeMock;
  smtp: SmtpCatcher;
  domain: string;
  /** The application database (start) or the migrated template tests copy (test). */
  databaseName: string;
  images: { busybox: string; photoAppStandin: string };
  /** restic (built once into the tools cache) and the folder the instances' backup repositories go into. */
  backups: { restic: string; repositoryRoot: string };
  logDir: string;
  stop(): Promise<void>;
}

/** Something to stop, pushed as soon as it has started so a failure half-way still stops what came up. */
export type Stopper = { name: string; stop: () => Promise<void> };

export async function stopAll(stoppers: Stopper[]): Promise<void> {
  for (const s of [...stoppers].reverse()) {
    try {
      await s.stop();
    } catch (e) {
      say('stack', `stopping ${s.name} failed: ${(e as Error).message}`);
    }
  }
  stoppers.length = 0;
}

/** Stops at once, one line per problem, when something the stack needs is missing here (see preflight.ts). */
export async function checkMachine(config: StackConfig, mode: StackMode): Promise<void> {
  const problems = await preflight(config, mode);
  if (!problems.length) return;
  for (const p of problems.slice(0, -1)) say('stack', p.message);
  throw problems.at(-1)!;
}

/** The folder a run keeps its state in (the data folder for `npm start`, a throw-away one for tests) and its logs. */
export function prepareRunRoot(
  config: StackConfig,
  mode: StackMode,
  stoppers: Stopper[],
): { runRoot: string; logDir: string } {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const runRoot = mode === 'start' ? config.dataDir : fs.mkdtempSync(path.join(config.dataDir, 'test-run-'));
  if (mode === 'test')
    stoppers.push({ name: 'test data', stop: async () => fs.rmSync(runRoot, { recursive: true, force: true }) });
  const logDir = path.join(runRoot, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  return { runRoot, logDir };
}

/** PostgreSQL for a run: DATABASE_URL, or a cluster of the run's own (as root, under config.postgresRoot). */
export async function startRunPostgres(
  config: StackConfig,
  mode: StackMode,
  run: { runRoot: string; logDir: string },
  stoppers: Stopper[],
): Promise<Postgres> {
  const postgres = await ensurePostgres({
    databaseUrl: config.databaseUrl,
    dataDir: path.join(run.runRoot, 'postgres'),
    port: mode === 'start' ? config.postgresPort : await freePort(),
    logDir: run.logDir,
    postgresRoot: config.postgresRoot,
    throwAway: mode === 'test',
  });
  stoppers.push({ name: 'postgres', stop: () => postgres.stop() });
  return postgres;
}

export async function startStack(config: StackConfig, mode: StackMode, stoppers: Stopper[]): Promise<Stack> {
  for (const { step, ms } of config.bootstrapSteps) recordFirstRunStep(step, ms);
  await checkMachine(config, mode);
  // Machine-wide, not per clone: two dockerds that both manage iptables disturb each other's rules.
  const release = await acquireLock(path.join(os.tmpdir(), 'photoplane-stack.lock'));
  stoppers.push({ name: 'stack lock', stop: async () => release() });
  // What an earlier run that was killed left of PostgreSQL (a cluster, maybe a running postmaster) goes now.
  await removeStaleClusters(config.postgresRoot);
  const { runRoot, logDir } = prepareRunRoot(config, mode, stoppers);
  const postgres = await startRunPostgres(config, mode, { runRoot, logDir }, stoppers);

  const startTemporal = async () =>
    ensureTemporal({
      temporalAddress: config.temporalAddress,
      temporalCli: config.temporalCli,
      toolsDir: config.toolsDir,
      port: mode === 'start' ? config.temporalPort : await freePort(),
      dbFile: mode === 'start' ? path.join(runRoot, 'temporal.sqlite') : undefined,
      uiPort: mode === 'start' ? config.temporalPort + 1000 : undefined,
      logDir,
    });
  let temporal: Temporal;
  try {
    temporal = await startTemporal();
  } catch (e) {
    // The dev server also binds ports next to the free one it is given (its other services); one of those can be
    // taken, and it dies. A throw-away stack just tries another port once.
    if (mode === 'start' || !(e instanceof ExitedBeforeReadyError)) throw e;
    say('temporal', `${e.message}\nretrying on another port`);
    temporal = await startTemporal();
  }
  stoppers.push({ name: 'temporal', stop: () => temporal.stop() });

  // One dockerd state per data folder; its socket lives under /run, where the path stays short.
  const dataRoot = path.join(config.dataDir, 'docker');
  const runDir = path.join('/run', `photoplane-${createHash('sha256').update(dataRoot).digest('hex').slice(0, 8)}`);
  const docker = await ensureDocker({ dockerHost: config.dockerHost, dataRoot, runDir, logDir });
  stoppers.push({ name: 'docker', stop: () => docker.stop() });

  const caddy = await ensureCaddy({
    toolsDir: config.toolsDir,
    adminPort: mode === 'start' ? config.caddyAdminPort : await freePort(),
    httpPort: mode === 'start' ? config.caddyHttpPort : await freePort(),
    logDir,
    dataDir: path.join(runRoot, 'caddy'),
    // Tests sign in many times from 127.0.0.1: their edge allows far more than a person needs, still finite.
    publicRateLimit:
      config.edgePublicRateLimit !== undefined
        ? config.edgePublicRateLimit
        : mode === 'start'
          ? DEFAULT_EDGE_RATE_LIMIT
          : TEST_EDGE_RATE_LIMIT,
  });
  stoppers.push({ name: 'caddy', stop: () => caddy.stop() });

  const stripe = await ensureStripeMock({
    toolsDir: config.toolsDir,
    port: mode === 'start' ? config.stripeMockPort : await freePort(),
    logDir,
  });
  stoppers.push({ name: 'stripe-mock', stop: () => stripe.stop() });

  const smtp = await startSmtpCatcher({
    port: mode === 'start' ? config.smtpPort : await freePort(),
    mailDir: path.join(runRoot, 'mail'),
  });
  stoppers.push({ name: 'smtp', stop: () => smtp.stop() });

  const imageSpecs = [await busyboxImageSpec(), await photoAppStandinImageSpec()];
  const [busybox, photoAppStandin] = (await Promise.all(
    imageSpecs.map((spec) => ensureImage(docker.client(), spec)),
  )) as [string, string];

  let secondDocker: DockerEngine | undefined;
  if (mode === 'test' && docker.started) {
    secondDocker = await startDockerd({
      name: 'dockerd-2',
      dataRoot: `${dataRoot}-2`,
      runDir: `${runDir}-2`,
      logDir,
      iptables: false,
    });
    stoppers.push({ name: 'second docker', stop: () => secondDocker!.stop() });
    await Promise.all(imageSpecs.map((spec) => ensureImage(secondDocker!.client(), spec)));
  }

  // Backups (SPEC F1): restic is built once like the other Go tools; each instance's repository is a folder under
  // the run's data folder (a throw-away one for tests).
  const restic = await ensureGoTool(RESTIC, config.toolsDir);
  const repositoryRoot = path.join(runRoot, 'backups');
  fs.mkdirSync(repositoryRoot, { recursive: true, mode: 0o700 });

  const databaseName = mode === 'start' ? 'photoplane' : 'photoplane_template';
  const url = await postgres.ensureDatabase(databaseName);
  await migrateDeploy(url);
  say('postgres', `migrations applied to ${databaseName}`);

  return {
    postgres,
    temporal,
    docker,
    secondDocker,
    caddy,
    stripe,
    smtp,
    domain: config.domain,
    databaseName,
    images: { busybox, photoAppStandin },
    backups: { restic, repositoryRoot },
    logDir,
    stop: () => stopAll(stoppers),
  };
}
