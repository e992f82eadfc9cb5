// `tenants ls|show|usage|suspend|resume|reprovision|rm` (SPEC A4); `tenants backups|backup|restore`, and the
// inspection stacks a restore with --inspect leaves: `tenants inspections SUB`, `tenants inspection rm SUB ID` (F1).
import { formatFlags, formatOf, limitFlag, limitOf, needReason, parse, reasonFlag, UsageError } from '../args.ts';
import type { Command } from '../context.ts';
import { gib, renderRecord, renderTable, when } from '../format.ts';

export const tenants: Command = async (ctx, command, args) => {
  const { io } = ctx;
  switch (command ?? '') {
    case 'ls':
    case 'usage': {
      const { values, positionals } = parse(
        args,
        { ...formatFlags, state: { type: 'string' }, ...limitFlag },
        { min: 0, max: 1, names: 'SEARCH' },
      );
      const format = formatOf(values);
      const query = { search: positionals[0], state: values.state, limit: limitOf(values.limit) ?? 100 };
      const api = await ctx.api();
      if (command === 'ls') {
        const rows = await api.listTenants(query);
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
        const rows = await api.usageReport(query);
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
      const t = await (await ctx.api()).showTenant(positionals[0]!);
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
          [
            'Holds',
            [
              t.holds.staffSince ? `support since ${when(t.holds.staffSince)}` : null,
              t.holds.storage
                ? `storage since ${when(t.holds.storage.since)}: ${gib(t.holds.storage.measuredBytes ?? '0')} measured, hard limit ${gib(t.holds.storage.limitBytes ?? '0')}`
                : null,
            ]
              .filter(Boolean)
              .join('; ') || null,
          ],
          [
            'Restoring',
            t.restoring ? `snapshot ${t.restoring.snapshot} in place, since ${when(t.restoring.since)}` : null,
          ],
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
      const operation = command === 'rm' ? 'deprovision' : (command as 'suspend' | 'resume' | 'reprovision');
      const started = await (await ctx.api()).operateTenant(positionals[0]!, operation, reason);
      io.out(
        `${started.subdomain}: ${operation} accepted (workflow ${started.workflowId} does it; was ${started.state})\n`,
      );
      return;
    }
    case 'backups': {
      const { values, positionals } = parse(args, { ...formatFlags }, { min: 1, max: 1, names: 'SUBDOMAIN' });
      const list = await (await ctx.api()).listBackups(positionals[0]!);
      io.out(
        renderTable(
          ['Snapshot', 'Trigger', 'Status', 'Started', 'Finished', 'Read', 'Stored', 'Error'],
          list.backups.map((b) => [
            b.id,
            b.trigger,
            b.status,
            when(b.startedAt),
            b.finishedAt ? when(b.finishedAt) : null,
            b.bytesProcessed ? gib(b.bytesProcessed) : null,
            b.bytesAdded ? gib(b.bytesAdded) : null,
            b.error,
          ]),
          formatOf(values),
        ),
      );
      if (formatOf(values) === 'table') {
        const c = list.lastCheck;
        io.out(
          c
            ? `last integrity check ${when(c.checkedAt)}: ${c.ok ? 'ok' : `DAMAGED: ${c.errors ?? ''}`}\n`
            : 'no integrity check yet\n',
        );
        for (const r of list.restores.slice(0, 5))
          io.out(
            `restore of ${r.backupId} ${r.target} ${when(r.startedAt)}: ${r.status}${r.appHostPort ? ` (app on 127.0.0.1:${r.appHostPort} of its host)` : ''}${r.error ? ` — ${r.error}` : ''}\n`,
          );
      }
      return;
    }
    case 'backup': {
      const { values, positionals } = parse(args, { ...reasonFlag }, { min: 1, max: 1, names: 'SUBDOMAIN' });
      const started = await (await ctx.api()).backupTenant(positionals[0]!, needReason(values));
      io.out(
        `${started.subdomain}: backup started (workflow ${started.workflowId}); see tenants backups ${started.subdomain}\n`,
      );
      return;
    }
    case 'restore': {
      const { values, positionals } = parse(
        args,
        { ...reasonFlag, snapshot: { type: 'string' }, inspect: { type: 'boolean' } },
        { min: 1, max: 1, names: 'SUBDOMAIN' },
      );
      if (!values.snapshot) throw new UsageError('tenants restore needs --snapshot ID (see tenants backups SUB)');
      const reason = needReason(values);
      const target = values.inspect ? 'inspection' : 'in-place';
      const started = await (
        await ctx.api()
      ).restoreTenant(positionals[0]!, {
        snapshot: values.snapshot,
        target,
        reason,
      });
      io.out(
        `${started.subdomain}: restore of ${values.snapshot} ${target === 'inspection' ? 'into an inspection stack' : 'in place'} started (workflow ${started.workflowId})\n`,
      );
      return;
    }
    case 'inspections': {
      const { values, positionals } = parse(args, { ...formatFlags }, { min: 1, max: 1, names: 'SUBDOMAIN' });
      const list = await (await ctx.api()).listInspections(positionals[0]!);
      io.out(
        renderTable(
          ['Inspection', 'Snapshot', 'State', 'Host', 'Address', 'Started', 'Removed', 'Reason', 'Error'],
          list.inspections.map((i) => [
            i.id,
            i.backupId,
            i.state,
            i.host,
            i.address,
            when(i.startedAt),
            i.removedAt ? when(i.removedAt) : null,
            i.reason,
            i.error,
          ]),
          formatOf(values),
        ),
      );
      return;
    }
    case 'inspection': {
      const [sub, ...rest] = args;
      if (sub !== 'rm')
        throw new UsageError(
          sub ? `unknown command: tenants inspection ${sub}` : 'missing command: tenants inspection rm SUB ID',
        );
      const { values, positionals } = parse(rest, { ...reasonFlag }, { min: 2, max: 2, names: 'SUBDOMAIN ID' });
      const reason = needReason(values);
      const started = await (await ctx.api()).removeInspection(positionals[0]!, positionals[1]!, reason);
      io.out(
        `${started.subdomain}: removing inspection stack ${started.stackId} of restore ${started.id} (workflow ${started.workflowId}); see tenants inspections ${started.subdomain}\n`,
      );
      return;
    }
    default:
      throw new UsageError(
        command
          ? `unknown command: tenants ${command}`
          : 'missing command: tenants ls|show|suspend|resume|reprovision|rm|usage|backups|backup|restore|inspections|inspection',
      );
  }
};
