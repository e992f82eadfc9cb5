// `links block|ls|unblock` (issue 14): shared links taken down at the edge. A blocked link's visitors get 451 from
// the edge until the block is lifted; the instance's owner is e-mailed both ways. A link is given as it was
// reported (its URL); a block by the id `links ls` shows, or by the link's URL again.
import {
  formatFlags,
  formatOf,
  limitFlag,
  limitOf,
  needReason,
  parse,
  reasonFlag,
  RefusedError,
  UsageError,
} from '../args.ts';
import { shownLink } from '@photoplane/tenant-model';
import type { Command } from '../context.ts';
import { renderTable, when } from '../format.ts';

const linkOf = (b: { kind: string; hint: string }) => shownLink(b.kind, b.hint);
const isUrl = (s: string) => /^https?:\/\//i.test(s);

export const links: Command = async (ctx, command, args) => {
  const { io } = ctx;
  switch (command ?? '') {
    case 'block': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'URL' });
      const reason = needReason(values);
      const b = await (await ctx.api()).blockLink(positionals[0]!, reason);
      io.out(`blocked ${linkOf(b)} at ${b.subdomain} (block ${b.id}): its visitors now get 451; the owner is told\n`);
      return;
    }
    case 'ls': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, ...limitFlag, holding: { type: 'boolean' } },
        { min: 0, max: 1, names: '[SUB]' },
      );
      const limit = limitOf(values.limit);
      const rows = await (
        await ctx.api()
      ).listLinkBlocks({
        ...(positionals[0] ? { subdomain: positionals[0] } : {}),
        ...(values.holding ? { holding: true } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      io.out(
        renderTable(
          ['Block', 'Subdomain', 'Link', 'Reason', 'By', 'Blocked', 'Lifted'],
          rows.map((b) => [
            b.id,
            b.subdomain,
            linkOf(b),
            b.reason,
            b.blockedBy ?? '',
            when(b.blockedAt),
            b.liftedAt ? `${when(b.liftedAt)} (${b.liftReason ?? ''})` : '',
          ]),
          formatOf(values),
        ),
      );
      return;
    }
    case 'unblock': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'ID|URL' });
      const reason = needReason(values);
      const api = await ctx.api();
      let id = positionals[0]!;
      if (isUrl(id)) {
        const [holding] = await api.listLinkBlocks({ url: id });
        if (!holding) throw new RefusedError('no block holds for this link');
        id = holding.id;
      }
      const b = await api.liftLinkBlock(id, reason);
      io.out(
        `unblocked ${linkOf(b)} at ${b.subdomain} (block ${b.id}): the link works again as the photo app allows\n`,
      );
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: links ${command}` : 'missing command: links block|ls|unblock');
  }
};
