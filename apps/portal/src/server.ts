// The portal process: configuration, connections, the app, and an orderly shutdown.
import { pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { Connection } from '@temporalio/client';
import { buildApp, REDACTED_PATHS } from './app.ts';
import { ConfigError, readPortalConfig } from './config.ts';
import { createReadinessService } from './services/readiness.service.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = readPortalConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const prisma = createPrismaClient(config.databaseUrl);
  // Lazy: the portal starts (and reports "Temporal down" on /readyz) even while Temporal is unreachable.
  const temporal = Connection.lazy({ address: config.temporalAddress });
  const readiness = createReadinessService({
    database: () => prisma.$queryRaw`SELECT 1`,
    temporal: () => temporal.workflowService.describeNamespace({ namespace: config.temporalNamespace }),
  });
  const app = await buildApp({
    services: { readiness },
    bodyLimit: config.bodyLimit,
    logger: { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
  });
  const close = async () => {
    await app.close();
    await temporal.close();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await app.listen({ host: config.host, port: config.port });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`portal failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
