// `logins ls|clear` (SPEC A2): the sign-in history, PhotoPrism-shaped.
import { formatFlags, formatOf, limitFlag, limitOf, needReason, parse, reasonFlag, UsageError } from '../args.ts';
import type { Command } from '../context.ts';
import { renderTable, when } from '../format.ts';

export const logins: Command = async (ctx, command, args) => {
  switch (command ?? '') {
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, ...limitFlag },
        { min: 0, max: 1, names: 'SEARCH' },
      );
      const format = formatOf(values);
      const rows = await (await ctx.api()).listLogins({ search: positionals[0], limit: limitOf(values.limit) ?? 100 });
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
      const { deleted } = await (await ctx.api()).clearLogins(needReason(values));
      ctx.io.out(`cleared ${deleted} sign-in records\n`);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: logins ${command}` : 'missing command: logins ls|clear');
  }
};
