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
