// The provisioner worker: polls its task queue on the Temporal server and runs workflows and activities.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import {
  createActivities,
  createBackupHostActivities,
  createExportHostActivities,
  createHostActivities,
  type Activities,
  type BackupHostActivities,
  type ExportHostActivities,
  type HostActivities,
} from './activities/index.ts';
import { createRestic } from './backup/restic.ts';
import { BACKUP_CHECK_SCHEDULE_ID, BACKUP_SCHEDULE_ID, backupWorkflowNames } from './contracts/backups.ts';
import { EXPORT_EXPIRY_SCHEDULE_ID, exportWorkflowNames } from './contracts/exports.ts';
import { ConfigError, readProvisionerConfig, type ProvisionerConfig } from './config.ts';
import { dockerClient } from './docker/index.ts';
import { createLogger, installTemporalLogger } from './logger.ts';
import { createCaddyEdge } from './edge/index.ts';
import { createSmtpMailer } from './mail.ts';
import { createImmichPhotoApp } from './photo-app/index.ts';
import { createSecrets } from './secrets.ts';
import {
  hostTaskQueue,
  probeDockerHostWorkflowId,
  reconcileScheduleId,
  USAGE_SYNC_SCHEDULE_ID,
  workflowNames,
} from './contracts/index.ts';
import { stackProfile } from './stack-profiles.ts';
import type { probeDockerHostWorkflow } from './workflows/index.ts';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** All of them in production; a test may register only those its workflow calls. */
  activities: Partial<Activities>;
}

/** The worker of one Docker host: only the host-bound activities, on that host's own task queue (SPEC V5). */
export function createHostWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  hostName: string;
  activities: HostActivities | (HostActivities & BackupHostActivities & Partial<ExportHostActivities>);
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: hostTaskQueue(opts.hostName),
    activities: opts.activities,
  });
}

export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowsPath,
    activities: opts.activities,
  });
}

/** Records the Docker host this worker drives (engine version, endpoint) through the probe workflow. */
async function registerDockerHost(config: ProvisionerConfig, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    const client = new Client({ connection, namespace: config.temporalNamespace });
    const result = await client.workflow.execute<typeof probeDockerHostWorkflow>(workflowNames.probeDockerHost, {
      taskQueue: config.taskQueue,
      workflowId: probeDockerHostWorkflowId(config.dockerHostName),
      args: [{ hostName: config.dockerHostName, endpoint: config.dockerHost }],
      workflowExecutionTimeout: '2 minutes',
    });
    logger.info(
      { host: config.dockerHostName, engine: result.version, api: result.apiVersion },
      'docker host registered',
    );
  } catch (e) {
    // The worker still serves; the host is probed again at the next start.
    logger.error({ err: e, host: config.dockerHostName }, 'could not register the docker host');
  } finally {
    await connection.close();
  }
}

/** The dependencies of every activity, built from configuration: used by main() and by the end-to-end tests. */
export function buildDeps(config: ProvisionerConfig, prisma: PrismaClient) {
  const secrets = createSecrets(config.secretKey);
  const docker = dockerClient(config.dockerHost, { certPath: config.dockerCertPath });
  const profile = stackProfile(config.stackProfile, config.images);
  const backupHostActivities = createBackupHostActivities({
    docker,
    secrets,
    restic: createRestic({ binary: config.backup.restic, repositoryRoot: config.backup.repositoryRoot }),
    profile,
    profileName: config.stackProfile,
    extraLabels: config.resourceLabels,
    ...(config.edgeSocket ? { edgeSocket: config.edgeSocket } : {}),
  });
  return {
    activities: createActivities({
      docker,
      prisma,
      secrets,
      domain: config.domain,
      instanceUrlTemplate: config.instanceUrlTemplate,
      edge: createCaddyEdge({
        adminUrl: config.caddyAdminUrl,
        serverId: config.caddyServerId,
        domain: config.domain,
        portalUpstream: config.portalUpstream,
      }),
      photoApp: (baseUrl, credentials) => createImmichPhotoApp({ baseUrl, ...credentials }),
      mailer: createSmtpMailer(config.smtpUrl, config.mailFrom),
      storageGracePercent: config.storageGracePercent,
      ...(config.backup.retention ? { backupRetention: config.backup.retention } : {}),
      exports: config.exports,
    }),
    hostActivities: {
      ...createHostActivities({
        docker,
        secrets,
        profile,
        extraLabels: config.resourceLabels,
        ...(config.edgeSocket ? { edgeSocket: config.edgeSocket } : {}),
      }),
      ...backupHostActivities,
      ...createExportHostActivities({
        docker,
        secrets,
        profile,
        exportDir: config.exports.exportDir,
        extraLabels: config.resourceLabels,
      }),
    },
  };
}

/**
 * Periodic work runs on Temporal Schedules: they survive worker restarts, never overlap themselves (SKIP) and show
 * their runs in Temporal's UI. Reconciliation (SPEC V4) has one per host; the usage sync (M4, M8) one for the fleet.
 * Each is created once; an existing one is kept as it is.
 */
async function ensureSchedules(config: ProvisionerConfig, logger: Logger): Promise<void> {
  const schedules = [
    {
      scheduleId: reconcileScheduleId(config.dockerHostName),
      everyMinutes: config.reconcileEveryMinutes,
      workflowType: workflowNames.reconcileInstances,
      args: [{ hostName: config.dockerHostName }],
    },
    {
      scheduleId: USAGE_SYNC_SCHEDULE_ID,
      everyMinutes: config.usageSyncEveryMinutes,
      workflowType: workflowNames.syncUsage,
      args: [],
    },
    {
      // The owners' exports (SPEC F1) whose links have expired are deleted within the hour.
      scheduleId: EXPORT_EXPIRY_SCHEDULE_ID,
      everyMinutes: 60,
      workflowType: exportWorkflowNames.expireExports,
      args: [],
    },
  ];
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    const client = new Client({ connection, namespace: config.temporalNamespace });
    for (const { scheduleId, everyMinutes, workflowType, args } of schedules) {
      try {
        await client.schedule.create({
          scheduleId,
          spec: { intervals: [{ every: `${everyMinutes}m` }] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          action: { type: 'startWorkflow', workflowType, taskQueue: config.taskQueue, args },
        });
        logger.info({ scheduleId, everyMinutes }, 'schedule created');
      } catch (e) {
        if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      }
    }
    // Backups (SPEC F1): nightly for the fleet, and the repositories' integrity check, at fixed times of day.
    const calendarSchedules = [
      {
        scheduleId: BACKUP_SCHEDULE_ID,
        cron: config.backup.cron,
        workflowType: backupWorkflowNames.backupFleet,
        args: [],
      },
      {
        scheduleId: BACKUP_CHECK_SCHEDULE_ID,
        cron: config.backup.checkCron,
        workflowType: backupWorkflowNames.checkBackups,
        args: [{ readDataPercent: config.backup.checkReadDataPercent }],
      },
    ];
    for (const { scheduleId, cron, workflowType, args } of calendarSchedules) {
      try {
        await client.schedule.create({
          scheduleId,
          spec: { cronExpressions: [cron] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          action: { type: 'startWorkflow', workflowType, taskQueue: config.taskQueue, args },
        });
        logger.info({ scheduleId, cron }, 'schedule created');
      } catch (e) {
        if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      }
    }
  } catch (e) {
    logger.error({ err: e }, 'could not create the schedules');
  } finally {
    await connection.close();
  }
}

/**
 * Reconciles this worker's host once, now: after a restart (of the worker, the machine or its Docker Engine)
 * instances that should be active come back at once rather than at the schedule's next run, minutes later. It is
 * an action of the host's reconcile schedule (shown with its runs in Temporal's UI); SKIP leaves a run already in
 * progress to finish instead of starting a second one beside it.
 */
async function reconcileHostNow(config: ProvisionerConfig, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  try {
    const client = new Client({ connection, namespace: config.temporalNamespace });
    await client.schedule.getHandle(reconcileScheduleId(config.dockerHostName)).trigger(ScheduleOverlapPolicy.SKIP);
    logger.info({ host: config.dockerHostName }, 'reconcile of this host started (worker start)');
  } catch (e) {
    // The schedule still runs it at its next interval.
    logger.error({ err: e, host: config.dockerHostName }, 'could not start the reconcile of this host');
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = readProvisionerConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  installTemporalLogger(logger, { metricsAddress: config.metricsAddress });
  if (config.metricsAddress) logger.info({ address: config.metricsAddress }, 'worker metrics at /metrics');
  const prisma = createPrismaClient(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const deps = buildDeps(config, prisma);
  const worker = await createWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    activities: deps.activities,
  });
  const hostWorker = await createHostWorker({
    connection,
    namespace: config.temporalNamespace,
    hostName: config.dockerHostName,
    activities: deps.hostActivities,
  });
  // Worker.run() installs its own SIGINT/SIGTERM handling: it stops polling, lets running tasks finish, then returns.
  logger.info(
    { taskQueue: config.taskQueue, hostQueue: hostTaskQueue(config.dockerHostName), temporal: config.temporalAddress },
    'worker started',
  );
  const running = Promise.all([worker.run(), hostWorker.run()]);
  await registerDockerHost(config, logger);
  await ensureSchedules(config, logger);
  await reconcileHostNow(config, logger);
  await running;
  await connection.close();
  await prisma.$disconnect();
  logger.info('worker stopped');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
