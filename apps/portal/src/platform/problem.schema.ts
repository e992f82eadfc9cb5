import { Type, type Static, type TObject } from '@fastify/type-provider-typebox';

/**
 * RFC 9457 problem details, with the offending fields for validation errors. Open to extension members (section
 * 3.2: `code`, byte counts such as `bytesToFree`): without additionalProperties the serializer of a route that
 * declares this schema would drop them.
 */
const problemMembers = {
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
};

export const Problem = Type.Object(problemMembers, {
  $id: 'Problem',
  title: 'Problem',
  additionalProperties: true,
});

/** A problem's standard members, as the schema above declares them (extension members are `extensions`). */
export type ProblemBody = Static<TObject<typeof problemMembers>>;

/** What the error handler turns into a problem: a status, the members it knows, and extension members. */
export interface ProblemInput extends Partial<ProblemBody> {
  status: number;
  /** Extension members (RFC 9457 section 3.2), e.g. bytesAvailable, written next to the standard ones. */
  extensions?: Record<string, unknown>;
}

export const NoContent = Type.Null({ description: 'Done' });

/**
 * An error response for the OpenAPI document. Declared under application/problem+json (what the error handler
 * sends) so the serializer leaves extension members such as `code` in place.
 */
export function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } };
}
