// The provisioner worker: polls its task queue on the Temporal server and runs workflows and activities.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Activities } from './activities/index.ts';
import { createActivities } from './activities/index.ts';
import { ConfigError, readProvisionerConfig, type ProvisionerConfig } from './config.ts';
import { dockerClient } from './docker/index.ts';
import { createLogger, installTemporalLogger } from './logger.ts';
import { probeDockerHostWorkflowId, workflowNames } from './shared.ts';
import type { probeDockerHostWorkflow } from './workflows/index.ts';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
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
  installTemporalLogger(logger);
  const prisma = createPrismaClient(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    activities: createActivities({ docker: dockerClient(config.dockerHost), prisma }),
  });
  // Worker.run() installs its own SIGINT/SIGTERM handling: it stops polling, lets running tasks finish, then returns.
  logger.info({ taskQueue: config.taskQueue, temporal: config.temporalAddress }, 'worker started');
  const running = worker.run();
  await registerDockerHost(config, logger);
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
