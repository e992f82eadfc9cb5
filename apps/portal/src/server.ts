// The portal process: configuration, connections, the app (wired in portal.ts), and an orderly shutdown.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { pino } from 'pino';
import { REDACTED_PATHS, urlForLog } from './app.ts';
import { ConfigError, readPortalConfig } from './config.ts';
import { createPortal } from './portal.ts';

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
  // One logger for the app and the services, so background failures (mail delivery) land in the same log.
  const logger = pino({
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Fastify's own request serializer, with a download link's token masked (urlForLog).
      req: (req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: req.method,
        url: urlForLog(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  });
  if (config.jwtSecretGenerated)
    logger.warn('JWT_SECRET is not set: using a random key, so sign-ins end when the portal restarts');
  if (config.totpEncryptionKeyGenerated)
    logger.warn(
      'TOTP_ENCRYPTION_KEY is not set: using a random key, so two-factor set up now stops working at restart',
    );
  if (config.oidc.secretKeyGenerated)
    logger.warn('OIDC_SECRET_KEY is not set: using a random key, so photo-app sign-ins end when the portal restarts');
  const prisma = createPrismaClient(config.databaseUrl);
  const portal = await createPortal({
    config,
    prisma,
    logger,
    webDistDir: fileURLToPath(new URL('../../web/dist', import.meta.url)),
  });
  portal.start();
  const close = async () => {
    await portal.close();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await portal.app.listen({ host: config.host, port: config.port });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`portal failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
