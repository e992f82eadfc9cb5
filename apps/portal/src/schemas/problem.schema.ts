import { Type } from '@fastify/type-provider-typebox';

/**
 * RFC 9457 problem details, with the offending fields for validation errors. Open to extension members (section
 * 3.2: `code`, byte counts such as `bytesToFree`): without additionalProperties the serializer of a route that
 * declares this schema would drop them.
 */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'One entry per invalid field (JSON pointer into the request part named by its first segment).',
      }),
    ),
    code: Type.Optional(Type.String({ description: 'The domain error code, for clients that branch on it' })),
  },
  { $id: 'Problem', title: 'Problem', additionalProperties: true },
);
