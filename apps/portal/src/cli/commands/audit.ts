// `audit ls` (SPEC A5): staff actions, newest first, searchable by actor, tenant and time.
import { formatFlags, formatOf, limitFlag, limitOf, parse, timeOf, UsageError } from '../args.ts';
import type { Command } from '../context.ts';
import { renderTable, when } from '../format.ts';

export const audit: Command = async (ctx, command, args) => {
  if ((command ?? '') !== 'ls')
    throw new UsageError(command ? `unknown command: audit ${command}` : 'missing command: audit ls');
  const { values } = parse(
    args,
    {
      ...formatFlags,
      ...limitFlag,
      actor: { type: 'string' },
      instance: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    },
    { min: 0, max: 0, names: '' },
  );
  const format = formatOf(values);
  const since = timeOf(values.since, '--since');
  const until = timeOf(values.until, '--until');
  const limit = limitOf(values.limit);
  const rows = await (
    await ctx.api()
  ).listAudit({
    ...(values.actor ? { actor: values.actor } : {}),
    ...(values.instance ? { instance: values.instance } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(limit ? { limit } : {}),
  });
  ctx.io.out(
    renderTable(
      ['At', 'Actor', 'Client IP', 'Action', 'Target', 'Instance', 'Reason'],
      rows.map((e) => [
        when(e.at),
        e.actor,
        e.clientIp,
        e.action,
        e.targetId ? `${e.targetType} ${e.targetId}` : e.targetType,
        e.instanceId,
        e.reason,
      ]),
      format,
    ),
  );
};
