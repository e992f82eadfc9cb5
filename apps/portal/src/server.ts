// The portal process: configuration, connections, the app, and an orderly shutdown.
import { pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { buildApp, REDACTED_PATHS } from './app.ts';
import { ConfigError, readPortalConfig } from './config.ts';
import { createUnitOfWork } from './repositories/unit-of-work.ts';
import { createAccountService } from './services/account.service.ts';
import { createMailService } from './services/mail.service.ts';
import { createPasswordService } from './services/password.service.ts';
import { createReadinessService } from './services/readiness.service.ts';
import { createSessionService } from './services/session.service.ts';

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
  // One logger for the app and the services, so background failures (mail delivery) land in the same log.
  const logger = pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
  if (config.jwtSecretGenerated)
    logger.warn('JWT_SECRET is not set: using a random key, so sign-ins end when the portal restarts');
  const repositories = createUnitOfWork(prisma);
  const passwords = createPasswordService();
  const mail = createMailService({
    transport: nodemailer.createTransport(config.smtpUrl),
    from: config.mailFrom,
    publicUrl: config.publicUrl,
    log: logger,
  });
  const app = await buildApp({
    services: {
      readiness,
      accounts: createAccountService({ repositories, passwords, mail }),
      sessions: createSessionService({
        repositories,
        passwords,
        refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      }),
    },
    bodyLimit: config.bodyLimit,
    loggerInstance: logger,
    accessTokens: {
      secret: config.jwtSecret,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ttlSeconds: config.accessTokenTtlSeconds,
    },
    loginRateLimit: { max: config.loginAttemptsPerMinute, timeWindowMs: 60_000 },
  });
  const close = async () => {
    await app.close();
    await mail.close();
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
