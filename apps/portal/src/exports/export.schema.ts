// Request and response bodies of the owner's export routes (SPEC F1). Closed objects.
import { Type } from '@fastify/type-provider-typebox';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

export const ExportView = Type.Object(
  {
    id: Type.String(),
    status: Type.String({ description: 'running, ready (the link was mailed), failed, or expired (archive deleted)' }),
    requestedAt: DateTime,
    finishedAt: Nullable(DateTime),
    expiresAt: Nullable(Type.String({ format: 'date-time', description: 'When the link and its archive go' })),
    bytes: Nullable(Type.String({ pattern: '^[0-9]+$', description: "The archive's size, as a decimal string" })),
    downloads: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String()),
  },
  closed,
);

export const ExportList = Type.Object({ exports: Type.Array(ExportView) }, closed);

export const ExportTokenParams = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 100, description: 'The token of the mailed link' }) },
  closed,
);
