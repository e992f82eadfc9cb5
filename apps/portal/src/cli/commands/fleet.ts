// `fleet upgrade|ls|show|pause|resume|cancel` (SPEC F3): a photo-app image rolled out over every active instance in
// waves, by the worker's fleet-upgrade workflow. `--watch` follows a rollout until it ends, one line per change.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatFlags, formatOf, limitFlag, limitOf, need, needReason, parse, reasonFlag, UsageError } from '../args.ts';
import type { CliContext, Command } from '../context.ts';
import { renderRecord, renderTable, when } from '../format.ts';

type Upgrade = Awaited<ReturnType<Awaited<ReturnType<CliContext['api']>>['showFleetUpgrade']>>;

const ENDED = ['halted', 'completed', 'cancelled'];

function number(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!raw.trim() || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, not "${raw}"`);
  return n;
}

function counts(u: Upgrade): string {
  const parts = Object.entries(u.counts).map(([status, n]) => `${n} ${status}`);
  return parts.length ? parts.join(', ') : 'no instance to upgrade';
}

function summary(u: Upgrade): string {
  return `${u.id} ${u.appImage}: ${u.state}${u.stateReason ? ` (${u.stateReason})` : ''}; ${counts(u)}`;
}

function render(u: Upgrade): string {
  const head = renderRecord([
    ['Upgrade', u.id],
    ['Image', u.appImage],
    ['State', u.stateReason ? `${u.state}: ${u.stateReason}` : u.state],
    ['Started by', u.startedBy],
    ['Reason', u.reason],
    [
      'Policy',
      `canary ${u.policy.canary}, growth ×${u.policy.growth}, waves of at most ${u.policy.maxWave}, halt above ${Math.round(u.policy.maxFailureRate * 100)} % failed`,
    ],
    ['Instances', counts(u)],
    ['Started', when(u.createdAt)],
    ['Ended', when(u.finishedAt)],
  ]);
  const rows = u.waves.flatMap((w) =>
    w.instances.map((i) => [String(w.index + 1), i.subdomain, i.status, i.detail ?? '']),
  );
  return rows.length ? `${head}\n${renderTable(['Wave', 'Subdomain', 'Status', 'Detail'], rows, 'table')}` : head;
}

/** Prints the rollout each time it changes, until it ends. */
async function watch(ctx: CliContext, id: string, intervalMs = 1000): Promise<Upgrade> {
  const api = await ctx.api();
  let last = '';
  for (;;) {
    const u = await api.showFleetUpgrade(id);
    const line = summary(u);
    if (line !== last) ctx.io.out(`${line}\n`);
    last = line;
    if (ENDED.includes(u.state)) return u;
    await sleep(intervalMs);
  }
}

export const fleet: Command = async (ctx, command, args) => {
  const { io } = ctx;
  switch (command ?? '') {
    case 'upgrade': {
      const { values } = parse(
        args,
        {
          ...reasonFlag,
          image: { type: 'string' },
          canary: { type: 'string' },
          growth: { type: 'string' },
          'max-wave': { type: 'string' },
          'max-failure-rate': { type: 'string' },
          watch: { type: 'boolean', short: 'w' },
        },
        { min: 0, max: 0, names: '' },
      );
      const image = need(values.image, '--image', 'the image to roll out');
      const reason = needReason(values);
      const policy = {
        canary: number(values.canary, 'canary'),
        growth: number(values.growth, 'growth'),
        maxWave: number(values['max-wave'], 'max-wave'),
        maxFailureRate: number(values['max-failure-rate'], 'max-failure-rate'),
      };
      const started = await (
        await ctx.api()
      ).startFleetUpgrade({
        image,
        reason,
        ...Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)),
      });
      io.out(`fleet upgrade ${started.id} to ${started.appImage} started\n`);
      if (values.watch) io.out(render(await watch(ctx, started.id)));
      return;
    }
    case 'ls': {
      const { values } = parse(args, { ...formatFlags, ...limitFlag }, { min: 0, max: 0, names: '' });
      const rows = await (await ctx.api()).listFleetUpgrades(limitOf(values.limit));
      io.out(
        renderTable(
          ['Upgrade', 'Image', 'State', 'Instances', 'By', 'Started', 'Ended'],
          rows.map((u) => [u.id, u.appImage, u.state, counts(u), u.startedBy, when(u.createdAt), when(u.finishedAt)]),
          formatOf(values),
        ),
      );
      return;
    }
    case 'show': {
      const { values, positionals } = parse(
        args,
        { watch: { type: 'boolean', short: 'w' } },
        { min: 1, max: 1, names: 'ID' },
      );
      const id = positionals[0]!;
      io.out(render(values.watch ? await watch(ctx, id) : await (await ctx.api()).showFleetUpgrade(id)));
      return;
    }
    case 'pause':
    case 'resume':
    case 'cancel': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'ID' });
      const reason = needReason(values);
      const u = await (
        await ctx.api()
      ).steerFleetUpgrade(positionals[0]!, command as 'pause' | 'resume' | 'cancel', reason);
      io.out(`fleet upgrade ${u.id}: ${command} asked (it was ${u.state})\n`);
      return;
    }
    default:
      throw new UsageError(
        command ? `unknown command: fleet ${command}` : 'missing command: fleet upgrade|ls|show|pause|resume|cancel',
      );
  }
};
