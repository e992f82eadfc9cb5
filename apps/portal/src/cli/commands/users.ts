// `users ls|add|show|mod|rm|reset` and `passwd` (SPEC A1): an instance's members, PhotoPrism-shaped.
import {
  formatFlags,
  instanceFlag,
  needInstance,
  needReason,
  parse,
  reasonFlag,
  RefusedError,
  UsageError,
  formatOf,
  type Options,
} from '../args.ts';
import type { SupportApi } from '../api-client.ts';
import type { Command, CliContext } from '../context.ts';
import { gib, renderRecord, renderTable, when, type Cell } from '../format.ts';

type MemberView = Awaited<ReturnType<SupportApi['showUser']>>;

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

const ROLES = ['admin', 'user', 'viewer', 'guest'] as const;
type Role = (typeof ROLES)[number];

function quotaOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--quota must be a whole number of GiB (0 = unlimited)`);
  return n;
}

/** PhotoPrism's roles map onto the member model one to one; its super admin is an instance admin here. */
function roleOf(values: { role?: string; superadmin?: boolean }): Role | undefined {
  if (values.superadmin && values.role && values.role !== 'admin')
    throw new UsageError('--superadmin makes the member an admin; it cannot be combined with another --role');
  const role = values.superadmin ? 'admin' : values.role;
  if (role !== undefined && !(ROLES as readonly string[]).includes(role))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${role}"`);
  return role as Role | undefined;
}

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

export const users: Command = async (ctx, command, args) => {
  const { io } = ctx;
  switch (command ?? '') {
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...formatFlags },
        { min: 0, max: 1, names: 'SEARCH' },
      );
      const format = formatOf(values);
      const instance = needInstance(values);
      const list = await (await ctx.api()).listUsers(instance, positionals[0]);
      io.out(renderTable(memberHeaders, list.map(memberRow), format));
      return;
    }
    case 'add': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, ...memberFlags },
        { min: 0, max: 1, names: 'EMAIL' },
      );
      if (values['disable-2fa'])
        throw new UsageError('--disable-2fa is for users mod: a new member has no two-factor authentication');
      const email = positionals[0] ?? values.email;
      if (!email) throw new UsageError('missing EMAIL (the member signs in with it)');
      if (positionals[0] && values.email && positionals[0].toLowerCase() !== values.email.toLowerCase())
        throw new UsageError('EMAIL and --email differ');
      if (values.login) throw new UsageError('--login is for users mod');
      const instance = needInstance(values);
      const reason = needReason(values);
      const role = roleOf(values);
      const quotaGiB = quotaOf(values.quota);
      const created = await (
        await ctx.api()
      ).addUser(instance, {
        name: values.name ?? email.split('@')[0]!,
        email,
        mode: values.password ? 'password' : 'invite',
        ...(role ? { role } : {}),
        ...(quotaGiB !== undefined ? { quotaGiB } : {}),
        ...(values['upload-path'] ? { storageLabel: values['upload-path'] } : {}),
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
      const instance = needInstance(values);
      io.out(renderRecord(memberRecord(await (await ctx.api()).showUser(instance, positionals[0]!))));
      return;
    }
    case 'mod': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, ...memberFlags },
        { min: 1, max: 1, names: 'USER' },
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
      const api = await ctx.api();
      const user = positionals[0]!;
      if (disable2fa) await api.disableUserTwoFactor(instance, user, reason);
      const updated = Object.keys(patch).length
        ? await api.modUser(instance, user, { ...patch, reason })
        : await api.showUser(instance, user);
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
      const removed = await (
        await ctx.api()
      ).removeUser(instance, positionals[0]!, {
        reason,
        ...(values.now ? { immediate: true, confirm: values.confirm! } : {}),
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
        { min: 1, max: 1, names: 'USER' },
      );
      if (!values.yes) throw new UsageError("users reset replaces the member's password: confirm with --yes");
      const instance = needInstance(values);
      const reason = needReason(values);
      const reset = await (await ctx.api()).resetUser(instance, positionals[0]!, reason);
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
};

/** `passwd USER --instance SUB`: the new password is the first line of standard input (or asked, hidden). */
export const passwd: Command = async (ctx: CliContext, command, rest) => {
  const args = command === undefined ? rest : [command, ...rest];
  const { values, positionals } = parse(args, { ...instanceFlag, ...reasonFlag }, { min: 1, max: 1, names: 'USER' });
  const instance = needInstance(values);
  const reason = needReason(values);
  const password = (await ctx.io.prompt('New password: ', true)) ?? (await ctx.io.readStdinLines())[0] ?? '';
  if (!password) throw new UsageError('passwd reads the new password from standard input (one line)');
  const member = await (await ctx.api()).setUserPassword(instance, positionals[0]!, password, reason);
  ctx.io.out(`${member.email}: password changed; other sign-ins ended; it must be changed at the next sign-in\n`);
};
