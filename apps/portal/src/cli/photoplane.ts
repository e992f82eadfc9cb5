// The `photoplane` commands for support staff (SPEC A1-A4), in PhotoPrism's shape. Each command parses its own flags
// with node:util parseArgs and calls the support service, the same one the support API calls, as the staff account
// named by --as or PHOTOPLANE_STAFF_EMAIL. Exit codes: 0 done, 1 refused (a rule, a permission, nothing found),
// 2 usage (unknown command or flag, a missing argument, --reason or --yes).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { InstanceOperation } from '@photoplane/provisioner/shared';
import { isDomainError } from '@photoplane/tenant-model';
import type { MemberView } from '../services/member.service.ts';
import type { StaffRef, SupportService } from '../services/support.service.ts';
import { renderRecord, renderTable, when, type Cell, type TableFormat } from './format.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliIo {
  out(text: string): void;
  /** The whole of standard input (passwd reads the new password from it). */
  readStdin(): Promise<string>;
}

export interface CliContext {
  support: SupportService;
  /** Resolves the acting staff account; only called by commands that run. */
  staff(): Promise<StaffRef>;
  io: CliIo;
}

export const USAGE = `Usage: photoplane [--as EMAIL] <command> [arguments] [flags]

Support staff commands; every change needs --reason "why" and is written to the audit log.

  users ls [SEARCH] --instance SUB           members of an instance (--md, --csv, --tsv)
  users add [flags] EMAIL --instance SUB      invite by e-mail, or -p for a random password shown once
      -n, --name NAME  -m, --email EMAIL  -r, --role admin|user|viewer|guest  -s, --superadmin (= admin)
      -l, --no-login   -u, --upload-path LABEL   -q, --quota GIB   -p, --password
  users show USER --instance SUB              USER is the member's e-mail or id
  users mod USER --instance SUB [flags]       -n -r -s -l -u -q as above, --login to allow sign-in again
  users rm USER --instance SUB [--now --confirm EMAIL]
  users reset USER --instance SUB --yes       new random password, shown once, must be changed
  passwd USER --instance SUB                  sets the password read from standard input
  logins ls [SEARCH] [-n LIMIT]               sign-in history (default 100 rows; --md, --csv, --tsv)
  logins clear                                removes the sign-in history
  auth ls [SEARCH] [--all] [-n LIMIT]         sessions and API keys (live ones unless --all)
  auth add USER --instance SUB --name NAME    an API key for a member; the secret is shown once
  auth show ID | auth rm ID                   one session or API key; rm revokes it
  auth reset USER [--instance SUB] --yes      revokes every session (and key) of an account or a member
  tenants ls [SEARCH] [--state STATE]         instances (search by subdomain or owner e-mail)
  tenants show SUB | tenants usage [SEARCH]   one instance; per-instance usage report
  tenants suspend|resume|reprovision|rm SUB   starts the provisioner's workflow (rm: superadmin)
`;

type Options = NonNullable<ParseArgsConfig['options']>;

const formatFlags = {
  md: { type: 'boolean' },
  csv: { type: 'boolean' },
  tsv: { type: 'boolean' },
} as const satisfies Options;
const reasonFlag = { reason: { type: 'string' } } as const satisfies Options;
const instanceFlag = { instance: { type: 'string' } } as const satisfies Options;
const memberFlags = {
  name: { type: 'string', short: 'n' },
  email: { type: 'string', short: 'm' },
  role: { type: 'string', short: 'r' },
  superadmin: { type: 'boolean', short: 's' },
  'no-login': { type: 'boolean', short: 'l' },
  login: { type: 'boolean' },
  'upload-path': { type: 'string', short: 'u' },
  quota: { type: 'string', short: 'q' },
  password: { type: 'boolean', short: 'p' },
  'disable-2fa': { type: 'boolean' },
} as const satisfies Options;

function parse<O extends Options>(
  args: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (count > positionals.max) throw new UsageError(`unexpected argument: ${parsed.positionals[positionals.max]}`);
  return parsed;
}

function formatOf(values: { md?: boolean; csv?: boolean; tsv?: boolean }): TableFormat {
  const chosen = (['md', 'csv', 'tsv'] as const).filter((f) => values[f]);
  if (chosen.length > 1) throw new UsageError('choose one of --md, --csv, --tsv');
  return chosen[0] ?? 'table';
}

function need<T>(value: T | undefined, flag: string, why: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required: ${why}`);
  return value;
}

const needReason = (values: { reason?: string }) =>
  need(values.reason, '--reason', 'every change is written to the audit log with its reason');
const needInstance = (values: { instance?: string }) =>
  need(values.instance, '--instance', 'members are addressed within one instance (its subdomain)');

function limitOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`-n must be a positive whole number, got "${raw}"`);
  return n;
}

function quotaOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--quota must be a whole number of GiB (0 = unlimited)`);
  return n;
}

/** PhotoPrism's roles map onto the member model one to one; its super admin is an instance admin here. */
function roleOf(values: { role?: string; superadmin?: boolean }): string | undefined {
  if (values.superadmin && values.role && values.role !== 'admin')
    throw new UsageError('--superadmin makes the member an admin; it cannot be combined with another --role');
  return values.superadmin ? 'admin' : values.role;
}

function refuse2fa(values: { 'disable-2fa'?: boolean }) {
  if (values['disable-2fa']) {
    throw new UsageError('--disable-2fa is for users mod: a new member has no two-factor authentication');
  }
}

/** A refusal the CLI itself makes (exit 1), like the service's domain errors. */
export class RefusedError extends Error {
  override name = 'RefusedError';
}

const GIB = 1024n ** 3n;
const gib = (bytes: string) => {
  const b = BigInt(bytes);
  return b % GIB === 0n ? `${b / GIB} GiB` : `${(Number(b) / Number(GIB)).toFixed(2)} GiB`;
};

const memberHeaders = ['ID', 'Name', 'E-mail', 'Role', 'Status', 'Quota', 'Used', 'Upload Path', 'Created'];
function memberRow(m: MemberView): Cell[] {
  return [
    m.id,
    m.name,
    m.email,
    m.role,
    m.status,
    m.quotaGiB === 0 ? 'unlimited' : `${m.quotaGiB} GiB`,
    gib(m.usageBytes),
    m.storageLabel,
    when(m.createdAt),
  ];
}

function memberRecord(m: MemberView): [string, Cell][] {
  return [
    ['ID', m.id],
    ['Name', m.name],
    ['E-mail', m.email],
    ['Role', m.role],
    ['Status', m.status],
    ['Login', m.noLogin ? 'disabled' : 'allowed'],
    ['Must change password', m.mustChangePassword ? 'yes' : 'no'],
    ['Quota', m.quotaGiB === 0 ? 'unlimited' : `${m.quotaGiB} GiB`],
    ['Used', gib(m.usageBytes)],
    ['Upload path', m.storageLabel ?? '(member id)'],
    [
      'Deletion',
      m.deletion ? `${m.deletion.immediate ? 'immediate' : 'scheduled'}, at ${when(m.deletion.deleteAt)}` : '',
    ],
    ['Created', when(m.createdAt)],
  ];
}

async function users(ctx: CliContext, command: string | undefined, args: string[]) {
  const { support, io } = ctx;
  switch (command ?? '') {
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...formatFlags },
        {
          min: 0,
          max: 1,
          names: 'SEARCH',
        },
      );
      const format = formatOf(values);
      const list = await support.listUsers(await ctx.staff(), needInstance(values), positionals[0]);
      io.out(renderTable(memberHeaders, list.map(memberRow), format));
      return;
    }
    case 'add': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, ...memberFlags },
        {
          min: 0,
          max: 1,
          names: 'EMAIL',
        },
      );
      refuse2fa(values);
      const email = positionals[0] ?? values.email;
      if (!email) throw new UsageError('missing EMAIL (the member signs in with it)');
      if (positionals[0] && values.email && positionals[0].toLowerCase() !== values.email.toLowerCase())
        throw new UsageError('EMAIL and --email differ');
      if (values.login) throw new UsageError('--login is for users mod');
      const instance = needInstance(values);
      const reason = needReason(values);
      const created = await support.addUser(await ctx.staff(), instance, {
        name: values.name ?? email.split('@')[0]!,
        email,
        mode: values.password ? 'password' : 'invite',
        role: roleOf(values),
        quotaGiB: quotaOf(values.quota),
        storageLabel: values['upload-path'],
        noLogin: values['no-login'] ?? false,
        reason,
      });
      io.out(renderRecord(memberRecord(created.member)));
      if (created.password)
        io.out(`Password: ${created.password}\n(shown once; it must be changed at the first sign-in)\n`);
      if (created.invitationExpiresAt)
        io.out(`Invitation e-mailed to ${email}; the link expires ${when(created.invitationExpiresAt)}\n`);
      return;
    }
    case 'show': {
      const { values, positionals } = parse(args, { ...instanceFlag }, { min: 1, max: 1, names: 'USER' });
      io.out(
        renderRecord(memberRecord(await support.showUser(await ctx.staff(), needInstance(values), positionals[0]!))),
      );
      return;
    }
    case 'mod': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, ...memberFlags },
        {
          min: 1,
          max: 1,
          names: 'USER',
        },
      );
      if (values.email) throw new RefusedError("a member's e-mail address cannot be changed (it is how they sign in)");
      if (values.password) throw new UsageError('-p is for users add; use users reset or passwd');
      if (values['no-login'] && values.login) throw new UsageError('--no-login and --login contradict each other');
      const instance = needInstance(values);
      const reason = needReason(values);
      const role = roleOf(values);
      const quotaGiB = quotaOf(values.quota);
      const patch = {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(role !== undefined ? { role } : {}),
        ...(quotaGiB !== undefined ? { quotaGiB } : {}),
        ...(values['upload-path'] !== undefined ? { storageLabel: values['upload-path'] || null } : {}),
        ...(values['no-login'] ? { noLogin: true } : values.login ? { noLogin: false } : {}),
      };
      const disable2fa = values['disable-2fa'] ?? false;
      if (!Object.keys(patch).length && !disable2fa)
        throw new UsageError('nothing to change: give at least one of -n -r -s -l --login -u -q --disable-2fa');
      const who = await ctx.staff();
      if (disable2fa) await support.disableUserTwoFactor(who, instance, positionals[0]!, reason);
      const updated = Object.keys(patch).length
        ? await support.modUser(who, instance, positionals[0]!, { ...patch, reason })
        : await support.showUser(who, instance, positionals[0]!);
      io.out(renderRecord(memberRecord(updated)));
      if (disable2fa) io.out('Two-factor authentication is off; the member may enrol again.\n');
      return;
    }
    case 'rm': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, now: { type: 'boolean' }, confirm: { type: 'string' } },
        { min: 1, max: 1, names: 'USER' },
      );
      const instance = needInstance(values);
      const reason = needReason(values);
      if (values.now && !values.confirm)
        throw new UsageError("--now cannot be undone: add --confirm with the member's e-mail");
      const removed = await support.removeUser(await ctx.staff(), instance, positionals[0]!, {
        reason,
        immediate: values.now ?? false,
        confirm: values.confirm,
      });
      io.out(
        `${removed.email}: sign-in disabled, data removed ${removed.deletion?.immediate ? 'at the next purge' : `after ${when(removed.deletion?.deleteAt)}`}\n`,
      );
      return;
    }
    case 'reset': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, yes: { type: 'boolean' } },
        {
          min: 1,
          max: 1,
          names: 'USER',
        },
      );
      if (!values.yes) throw new UsageError("users reset replaces the member's password: confirm with --yes");
      const instance = needInstance(values);
      const reason = needReason(values);
      const reset = await support.resetUser(await ctx.staff(), instance, positionals[0]!, reason);
      io.out(
        `${reset.member.email}: new password ${reset.password}\n(shown once; it must be changed at the next sign-in)\n`,
      );
      return;
    }
    default:
      throw new UsageError(
        command ? `unknown command: users ${command}` : 'missing command: users ls|add|show|mod|rm|reset',
      );
  }
}

async function passwd(ctx: CliContext, args: string[]) {
  const { values, positionals } = parse(args, { ...instanceFlag, ...reasonFlag }, { min: 1, max: 1, names: 'USER' });
  const instance = needInstance(values);
  const reason = needReason(values);
  const password = (await ctx.io.readStdin()).split(/\r?\n/)[0] ?? '';
  if (!password) throw new UsageError('passwd reads the new password from standard input (one line)');
  const member = await ctx.support.setUserPassword(await ctx.staff(), instance, positionals[0]!, password, reason);
  ctx.io.out(`${member.email}: password changed; other sign-ins ended; it must be changed at the next sign-in\n`);
}

async function logins(ctx: CliContext, command: string | undefined, args: string[]) {
  switch (command ?? '') {
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, limit: { type: 'string', short: 'n' } },
        {
          min: 0,
          max: 1,
          names: 'SEARCH',
        },
      );
      const format = formatOf(values);
      const rows = await ctx.support.listLogins(await ctx.staff(), {
        search: positionals[0],
        limit: limitOf(values.limit) ?? 100,
      });
      ctx.io.out(
        renderTable(
          ['Client IP', 'User', 'Realm', 'Status', 'Last Login', 'Failed At'],
          rows.map((r) => [r.clientIp, r.user, r.realm, r.status, when(r.lastLogin), when(r.failedAt)]),
          format,
        ),
      );
      return;
    }
    case 'clear': {
      const { values } = parse(args, { ...reasonFlag }, { min: 0, max: 0, names: '' });
      const { deleted } = await ctx.support.clearLogins(await ctx.staff(), needReason(values));
      ctx.io.out(`cleared ${deleted} sign-in records\n`);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: logins ${command}` : 'missing command: logins ls|clear');
  }
}

const credentialHeaders = ['ID', 'Kind', 'Realm', 'User', 'Label', 'Created', 'Last Used', 'Expires', 'Status'];

async function auth(ctx: CliContext, command: string | undefined, args: string[]) {
  const { support, io } = ctx;
  switch (command ?? '') {
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, all: { type: 'boolean' }, limit: { type: 'string', short: 'n' } },
        { min: 0, max: 1, names: 'SEARCH' },
      );
      const format = formatOf(values);
      const rows = await support.listCredentials(await ctx.staff(), {
        search: positionals[0],
        limit: limitOf(values.limit) ?? 100,
        all: values.all ?? false,
      });
      io.out(
        renderTable(
          credentialHeaders,
          rows.map((c) => [
            c.id,
            c.kind,
            c.realm,
            c.user,
            c.label,
            when(c.createdAt),
            when(c.lastUsedAt),
            when(c.expiresAt),
            c.status,
          ]),
          format,
        ),
      );
      return;
    }
    case 'add': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, name: { type: 'string', short: 'n' } },
        {
          min: 1,
          max: 1,
          names: 'USER',
        },
      );
      const instance = needInstance(values);
      const name = need(values.name, '--name', 'an API key is known by its name');
      const reason = needReason(values);
      const created = await support.addApiKey(await ctx.staff(), { instance, user: positionals[0]!, name, reason });
      io.out(`API key ${created.credential.id} for ${created.credential.user}: ${created.secret}\n(shown once)\n`);
      return;
    }
    case 'show': {
      const { positionals } = parse(args, {}, { min: 1, max: 1, names: 'ID' });
      const c = await support.showCredential(await ctx.staff(), positionals[0]!);
      io.out(
        renderRecord(
          credentialHeaders.map((h, i) => [
            h,
            [
              c.id,
              c.kind,
              c.realm,
              c.user,
              c.label,
              when(c.createdAt),
              when(c.lastUsedAt),
              when(c.expiresAt),
              c.status,
            ][i],
          ]),
        ),
      );
      return;
    }
    case 'rm': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'ID' });
      const reason = needReason(values);
      const c = await support.revokeCredential(await ctx.staff(), positionals[0]!, reason);
      io.out(`${c.kind === 'session' ? 'session' : 'API key'} ${c.id} of ${c.user} revoked\n`);
      return;
    }
    case 'reset': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, yes: { type: 'boolean' } },
        {
          min: 1,
          max: 1,
          names: 'USER',
        },
      );
      if (!values.yes) throw new UsageError('auth reset signs the user out everywhere: confirm with --yes');
      const reason = needReason(values);
      const r = await support.resetCredentials(await ctx.staff(), {
        user: positionals[0]!,
        instance: values.instance,
        reason,
      });
      io.out(`${r.user}: ${r.sessions} sessions and ${r.apiKeys} API keys revoked\n`);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: auth ${command}` : 'missing command: auth ls|add|show|rm|reset');
  }
}

async function tenants(ctx: CliContext, command: string | undefined, args: string[]) {
  const { support, io } = ctx;
  switch (command ?? '') {
    case 'ls':
    case 'usage': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, state: { type: 'string' }, limit: { type: 'string', short: 'n' } },
        { min: 0, max: 1, names: 'SEARCH' },
      );
      const format = formatOf(values);
      const query = { search: positionals[0], state: values.state, limit: limitOf(values.limit) ?? 100 };
      if (command === 'ls') {
        const rows = await support.listTenants(await ctx.staff(), query);
        io.out(
          renderTable(
            ['Subdomain', 'State', 'Subscription', 'Plan', 'Owner', 'Host', 'Step', 'Members', 'Created'],
            rows.map((t) => [
              t.subdomain,
              t.state,
              t.subscriptionState,
              t.plan,
              t.owner,
              t.host,
              t.provisioningStep,
              t.members,
              when(t.createdAt),
            ]),
            format,
          ),
        );
      } else {
        const rows = await support.usageReport(await ctx.staff(), query);
        io.out(
          renderTable(
            ['Subdomain', 'State', 'Members', 'Plan', 'Allocated', 'Used', 'Used %'],
            rows.map((u) => [
              u.subdomain,
              u.state,
              u.members,
              gib(u.planBytes),
              gib(u.allocatedBytes),
              gib(u.usedBytes),
              u.usedPercent,
            ]),
            format,
          ),
        );
      }
      return;
    }
    case 'show': {
      const { positionals } = parse(args, {}, { min: 1, max: 1, names: 'SUBDOMAIN' });
      const t = await support.showTenant(await ctx.staff(), positionals[0]!);
      io.out(
        renderRecord([
          ['Subdomain', t.subdomain],
          ['Instance', t.instanceId],
          ['Owner', t.ownerName ? `${t.ownerName} <${t.owner}>` : t.owner],
          ['Plan', `${t.plan} (${gib(t.planBytes)})`],
          [
            'Subscription',
            `${t.subscriptionState}${t.currentPeriodEnd ? `, period ends ${when(t.currentPeriodEnd)}` : ''}`,
          ],
          ['Instance state', t.state],
          ['Host', t.host ?? '(not placed)'],
          ['Provisioning step', t.provisioningStep],
          ['Last error', t.lastError],
          ['Members', t.members],
          [
            'Usage',
            `${gib(t.usage.usedBytes)} used, ${gib(t.usage.allocatedBytes)} allocated of ${gib(t.usage.planBytes)} (${t.usage.usedPercent} %)`,
          ],
          ['Created', when(t.createdAt)],
        ]),
      );
      return;
    }
    case 'suspend':
    case 'resume':
    case 'reprovision':
    case 'rm': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'SUBDOMAIN' });
      const reason = needReason(values);
      const operation: InstanceOperation =
        command === 'rm' ? 'deprovision' : (command as 'suspend' | 'resume' | 'reprovision');
      const started = await support.operateTenant(await ctx.staff(), positionals[0]!, operation, reason);
      io.out(`${started.subdomain}: ${operation} started (workflow ${started.workflowId}; was ${started.state})\n`);
      return;
    }
    default:
      throw new UsageError(
        command
          ? `unknown command: tenants ${command}`
          : 'missing command: tenants ls|show|suspend|resume|reprovision|rm|usage',
      );
  }
}

/** Runs one command line (without the global --as, which main.ts has taken out). */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<void> {
  const [group, command, ...rest] = argv;
  switch (group ?? '') {
    case 'users':
      return users(ctx, command, rest);
    case 'passwd':
      return passwd(ctx, command === undefined ? rest : [command, ...rest]);
    case 'logins':
      return logins(ctx, command, rest);
    case 'auth':
      return auth(ctx, command, rest);
    case 'tenants':
      return tenants(ctx, command, rest);
    default:
      throw new UsageError(group ? `unknown command: ${group}` : 'missing command');
  }
}

/** One line for stderr and the exit code: 2 usage, 1 refused or failed. */
export function describeFailure(e: unknown): { line: string; code: 1 | 2 } {
  if (e instanceof UsageError) return { line: `photoplane: ${e.message} (see photoplane --help)`, code: 2 };
  if (e instanceof RefusedError) return { line: `photoplane: ${e.message}`, code: 1 };
  if (isDomainError(e)) {
    const field = typeof e.details.field === 'string' ? ` [${e.details.field}]` : '';
    return { line: `photoplane: refused: ${e.message}${field}`, code: 1 };
  }
  return { line: `photoplane: failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, code: 1 };
}
