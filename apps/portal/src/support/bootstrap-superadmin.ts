// The very first staff account (SPEC A6), run on the portal's host with the portal's configuration (DATABASE_URL,
// TOTP_ENCRYPTION_KEY): `node --import tsx apps/portal/src/support/bootstrap-superadmin.ts --email EMAIL [--name NAME]`.
// Refused (exit 1) once any superadmin exists: further staff are added by a superadmin through the support API
// (`photoplane staff add`). With --if-none, an existing superadmin is not an error (exit 0, nothing changed): what
// `npm start` runs at every start. Prints one JSON line: the new account's e-mail, password and TOTP secret (shown
// once; only the argon2id hash and the sealed secret are stored), or {"created":false}.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { isDomainError } from '@photoplane/tenant-model';
import { ConfigError, readPortalConfig } from '../config.ts';
import { createSupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import { createPasswordService } from '../platform/password.service.ts';
import { createSecretBox } from '../platform/secret-box.ts';
import { STAFF_TOTP_PURPOSE } from './support.service.ts';
import { createStaffContext } from './staff-context.ts';
import { createStaffSupport } from './staff.service.ts';

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, name: { type: 'string' }, 'if-none': { type: 'boolean' } },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`bootstrap-superadmin: ${(e as Error).message}\n`);
    return 2;
  }
  if (!values.email) {
    process.stderr.write('bootstrap-superadmin: --email is required (the first superadmin signs in with it)\n');
    return 2;
  }
  let config;
  try {
    config = readPortalConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`bootstrap-superadmin: ${e.message.replace(/\n\s*/g, ' ')}\n`);
    return 78;
  }
  const prisma = createPrismaClient(config.databaseUrl, { maxConnections: 1 });
  try {
    const repositories = createSupportUnitOfWork(prisma);
    const now = () => new Date();
    const staff = createStaffSupport({
      repositories,
      context: createStaffContext(repositories, now),
      passwords: createPasswordService(),
      totpBox: createSecretBox(config.totpEncryptionKey, STAFF_TOTP_PURPOSE),
      now,
    });
    if (values['if-none'] && (await repositories.staff.countSuperadmins()) > 0) {
      process.stdout.write(`${JSON.stringify({ created: false })}\n`);
      return 0;
    }
    const made = await staff.bootstrapSuperadmin({ email: values.email, name: values.name });
    process.stdout.write(
      `${JSON.stringify({
        created: true,
        email: made.staff.email,
        password: made.password,
        totpSecret: made.totpSecret,
        otpauthUri: made.otpauthUri,
      })}\n`,
    );
    return 0;
  } catch (e) {
    if (isDomainError(e)) {
      process.stderr.write(`bootstrap-superadmin: refused: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await prisma.$disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bootstrap-superadmin: failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
