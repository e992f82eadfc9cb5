// The `photoplane` process: reads the portal's configuration (DATABASE_URL, TEMPORAL_ADDRESS, SMTP_URL, …), builds
// the same services the portal runs, acts as the staff account named by --as or PHOTOPLANE_STAFF_EMAIL, runs one
// command and exits. Errors are one line on stderr: exit 2 for usage, 1 for refusals.
import { pathToFileURL } from 'node:url';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { normaliseEmail, type AccountId } from '@photoplane/tenant-model';
import { Client, Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { ConfigError, readPortalConfig } from '../config.ts';
import { createMemberUnitOfWork } from '../repositories/member-unit-of-work.ts';
import { createSupportUnitOfWork } from '../repositories/support-unit-of-work.ts';
import { createInstanceOperations } from '../services/instance-operations.ts';
import { createInstanceRepository } from '../repositories/instance.repository.ts';
import { createMemberMailService } from '../services/member-mail.service.ts';
import { createMemberSync } from '../services/member-workflows.ts';
import { createMemberService } from '../services/member.service.ts';
import { createPasswordService } from '../services/password.service.ts';
import { createSupportService } from '../services/support.service.ts';
import { describeFailure, RefusedError, runCommand, USAGE, UsageError } from './photoplane.ts';

/** Takes the global `--as EMAIL` / `--as=EMAIL` and `--help` out of the arguments. */
function globalFlags(argv: string[]): { as: string | undefined; help: boolean; rest: string[] } {
  const rest: string[] = [];
  let as: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--as') {
      as = argv[++i];
      if (as === undefined) throw new UsageError('--as needs the e-mail of a staff account');
    } else if (arg.startsWith('--as=')) as = arg.slice(5);
    else if (arg === '--help' || arg === '-h' || arg === 'help') help = true;
    else rest.push(arg);
  }
  return { as, help, rest };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('New password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function main(argv: string[]): Promise<number> {
  let prisma: PrismaClient | undefined;
  let connection: Connection | undefined;
  let closeMail: (() => Promise<void>) | undefined;
  try {
    const { as, help, rest } = globalFlags(argv);
    if (help || rest.length === 0) {
      process.stdout.write(USAGE);
      return help ? 0 : 2;
    }
    const config = readPortalConfig();
    prisma = createPrismaClient(config.databaseUrl, { maxConnections: 2 });
    connection = Connection.lazy({ address: config.temporalAddress });
    const client = new Client({ connection, namespace: config.temporalNamespace });
    const passwords = createPasswordService();
    const log = { error: (details: object, message: string) => process.stderr.write(`photoplane: ${message}\n`) };
    const memberMail = createMemberMailService({
      transport: nodemailer.createTransport(config.smtpUrl),
      from: config.mailFrom,
      instanceUrl: (subdomain) => config.instanceUrlTemplate.replace('{subdomain}', subdomain),
      log,
    });
    closeMail = () => memberMail.close();
    const members = createMemberService({
      repositories: createMemberUnitOfWork(prisma),
      passwords,
      mail: memberMail,
      sync: createMemberSync({ client, taskQueue: config.temporalTaskQueue }),
      log,
    });
    const repositories = createSupportUnitOfWork(prisma);
    const support = createSupportService({
      repositories,
      members,
      passwords,
      operations: createInstanceOperations({
        client,
        taskQueue: config.temporalTaskQueue,
        timers: { graceMs: config.billing.graceDays * DAY_MS, retentionMs: config.billing.retentionDays * DAY_MS },
        subscriptionOf: (instanceId) => createInstanceRepository(prisma!).findSubscriptionId(instanceId),
      }),
    });
    const staffEmail = as ?? config.staffEmail;
    const staff = async () => {
      if (!staffEmail) throw new UsageError('say which staff account acts: --as EMAIL or PHOTOPLANE_STAFF_EMAIL');
      const account = await repositories.support.findAccountByEmail(normaliseEmail(staffEmail));
      if (!account) throw new RefusedError(`no account ${staffEmail}`);
      const ref = { accountId: account.id as AccountId };
      await support.staff(ref);
      return ref;
    };
    await runCommand({ support, staff, io: { out: (text) => process.stdout.write(text), readStdin } }, rest);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`photoplane: ${e.message.replace(/\n\s*/g, ' ')}\n`);
      return 78;
    }
    const { line, code } = describeFailure(e);
    process.stderr.write(`${line}\n`);
    return code;
  } finally {
    // Mail is handed over before exiting: an invitation must not be lost to an early exit.
    await closeMail?.();
    await connection?.close();
    await prisma?.$disconnect();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`photoplane: failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
