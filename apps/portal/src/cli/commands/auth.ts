// `auth ls|add|show|rm|reset` (SPEC A3): sessions and API keys across the fleet.
import {
  formatFlags,
  formatOf,
  instanceFlag,
  limitFlag,
  limitOf,
  need,
  needInstance,
  needReason,
  parse,
  reasonFlag,
  UsageError,
} from '../args.ts';
import type { SupportApi } from '../api-client.ts';
import type { Command } from '../context.ts';
import { renderRecord, renderTable, when, type Cell } from '../format.ts';

type Credential = Awaited<ReturnType<SupportApi['showCredential']>>;

const headers = ['ID', 'Kind', 'Realm', 'User', 'Label', 'Created', 'Last Used', 'Expires', 'Status'];
const row = (c: Credential): Cell[] => [
  c.id,
  c.kind,
  c.realm,
  c.user,
  c.label,
  when(c.createdAt),
  when(c.lastUsedAt),
  when(c.expiresAt),
  c.status,
];

export const auth: Command = async (ctx, command, args) => {
  const { io } = ctx;
  switch (command ?? '') {
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, all: { type: 'boolean' }, ...limitFlag },
        { min: 0, max: 1, names: 'SEARCH' },
      );
      const format = formatOf(values);
      const rows = await (
        await ctx.api()
      ).listCredentials({ search: positionals[0], limit: limitOf(values.limit) ?? 100, all: values.all ?? false });
      io.out(renderTable(headers, rows.map(row), format));
      return;
    }
    case 'add': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, name: { type: 'string', short: 'n' } },
        { min: 1, max: 1, names: 'USER' },
      );
      const instance = needInstance(values);
      const name = need(values.name, '--name', 'an API key is known by its name');
      const reason = needReason(values);
      const created = await (await ctx.api()).addApiKey({ instance, user: positionals[0]!, name, reason });
      io.out(`API key ${created.credential.id} for ${created.credential.user}: ${created.secret}\n(shown once)\n`);
      return;
    }
    case 'show': {
      const { positionals } = parse(args, {}, { min: 1, max: 1, names: 'ID' });
      const c = await (await ctx.api()).showCredential(positionals[0]!);
      const cells = row(c);
      io.out(renderRecord(headers.map((h, i) => [h, cells[i]])));
      return;
    }
    case 'rm': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'ID' });
      const reason = needReason(values);
      const c = await (await ctx.api()).revokeCredential(positionals[0]!, reason);
      io.out(`${c.kind === 'session' ? 'session' : 'API key'} ${c.id} of ${c.user} revoked\n`);
      return;
    }
    case 'reset': {
      const { values, positionals } = parse(
        args,
        { ...instanceFlag, ...reasonFlag, yes: { type: 'boolean' } },
        { min: 1, max: 1, names: 'USER' },
      );
      if (!values.yes) throw new UsageError('auth reset signs the user out everywhere: confirm with --yes');
      const reason = needReason(values);
      const r = await (
        await ctx.api()
      ).resetCredentials({ user: positionals[0]!, ...(values.instance ? { instance: values.instance } : {}), reason });
      io.out(`${r.user}: ${r.sessions} sessions and ${r.apiKeys} API keys revoked\n`);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: auth ${command}` : 'missing command: auth ls|add|show|rm|reset');
  }
};
