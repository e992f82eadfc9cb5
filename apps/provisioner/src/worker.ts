// The provisioner worker: polls its task queue on the Temporal server and runs workflows and activities.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from './activities/index.ts';
import { createActivities } from './activities/index.ts';
import { ConfigError, readProvisionerConfig } from './config.ts';
import { dockerClient } from './docker/index.ts';
import { createLogger, installTemporalLogger } from './logger.ts';

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
  await worker.run();
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
