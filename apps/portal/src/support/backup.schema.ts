// Request and response bodies of the support API's backup routes (SPEC F1). Closed objects; changes carry a reason.
import { Type } from '@fastify/type-provider-typebox';
import { Reason } from './support.schema.ts';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Bytes = Type.String({ pattern: '^[0-9]+$', description: 'Bytes, as a decimal string' });
const DateTime = Type.String({ format: 'date-time' });

export const BackupView = Type.Object({
  id: Type.String({ description: 'What `--snapshot` takes' }),
  trigger: Type.String({ description: 'scheduled, on-demand or pre-upgrade' }),
  status: Type.String({ description: 'running, succeeded, failed, or forgotten (removed by retention)' }),
  startedAt: DateTime,
  finishedAt: Nullable(DateTime),
  bytesProcessed: Nullable(Bytes),
  bytesAdded: Nullable(Bytes),
  error: Nullable(Type.String()),
});

export const RestoreView = Type.Object({
  id: Type.String(),
  backupId: Type.String(),
  target: Type.String({ description: 'in-place or inspection' }),
  status: Type.String(),
  startedAt: DateTime,
  finishedAt: Nullable(DateTime),
  inspectionInstanceId: Nullable(Type.String()),
  appHostPort: Nullable(Type.Integer({ description: "The restored photo app's port on its Docker host (127.0.0.1)" })),
  error: Nullable(Type.String()),
});

export const BackupList = Type.Object({
  subdomain: Type.String(),
  backups: Type.Array(BackupView),
  restores: Type.Array(RestoreView),
  lastCheck: Nullable(Type.Object({ checkedAt: DateTime, ok: Type.Boolean(), errors: Nullable(Type.String()) })),
});

export const RestoreBody = Type.Object(
  {
    snapshot: Type.String({ pattern: '^[0-9a-fA-F]{12}$', description: 'A backup id from the list' }),
    target: Type.Optional(
      Type.Union([Type.Literal('in-place'), Type.Literal('inspection')], {
        description:
          'in-place (default; superadmin: what was added since the backup is lost) or inspection (a stack beside the instance, never routed)',
      }),
    ),
    reason: Reason,
  },
  closed,
);

export const BackupStarted = Type.Object({
  subdomain: Type.String(),
  operation: Type.String(),
  workflowId: Type.String(),
});

export const InspectionParams = Type.Object(
  {
    subdomain: Type.String({ minLength: 1, maxLength: 63 }),
    id: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The inspection restore id `tenants inspections` lists',
    }),
  },
  closed,
);

export const InspectionView = Type.Object({
  id: Type.String({ description: 'The inspection restore id: what `tenants inspection rm` takes' }),
  backupId: Type.String(),
  state: Type.Union(
    ['restoring', 'ready', 'failed', 'removing', 'removed'].map((s) => Type.Literal(s)),
    { description: 'restoring, ready, failed (a partial stack may be left; remove it), removing or removed' },
  ),
  stackId: Type.String({ description: "The stack's id (its Docker resources' instance label)" }),
  host: Nullable(Type.String({ description: 'The Docker host it runs on (the instance’s)' })),
  address: Nullable(
    Type.String({ description: 'Where its photo app answers on that host while it stands (never routed)' }),
  ),
  startedAt: DateTime,
  finishedAt: Nullable(DateTime),
  removalRequestedAt: Nullable(DateTime),
  removedAt: Nullable(DateTime),
  reason: Nullable(Type.String({ description: 'Why it was restored' })),
  error: Nullable(Type.String()),
});

export const InspectionList = Type.Object({ subdomain: Type.String(), inspections: Type.Array(InspectionView) });

export const InspectionRemovalStarted = Type.Object({
  subdomain: Type.String(),
  id: Type.String(),
  stackId: Type.String(),
  workflowId: Type.String(),
});
