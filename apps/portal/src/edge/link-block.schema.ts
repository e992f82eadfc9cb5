// Request and response bodies for shared links taken down at the edge (issue 14): the support API's blocks and the
// owner's view of them. Closed objects; changes carry a reason.
import { Type } from '@fastify/type-provider-typebox';
import { Reason } from '../support/support.schema.ts';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Kind = Type.Union([Type.Literal('key'), Type.Literal('slug')], {
  description: '`key`: the link `/share/<key>`; `slug`: its custom address `/s/<slug>`',
});
const Hint = Type.String({ description: "The key's or slug's first characters (the whole key is never kept)" });
const LinkUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  format: 'uri',
  description: 'The link as reported: https://<sub>.<domain>/share/<key>, /s/<slug>, or a URL with ?key= or ?slug=',
});

export const LinkBlockView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    subdomain: Type.String(),
    kind: Kind,
    hint: Hint,
    reason: Type.String(),
    blockedBy: Nullable(Type.String({ description: 'The member of staff' })),
    blockedAt: DateTime,
    liftedAt: Nullable(DateTime),
    liftedBy: Nullable(Type.String()),
    liftReason: Nullable(Type.String()),
  },
  closed,
);

export const LinkBlockList = Type.Object({ blocks: Type.Array(LinkBlockView) }, closed);

export const BlockLinkBody = Type.Object({ url: LinkUrl, reason: Reason }, closed);

export const LinkBlockQuery = Type.Object(
  {
    subdomain: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: "One instance's blocks" })),
    url: Type.Optional({ ...LinkUrl, description: 'The block holding for this link, if any' }),
    holding: Type.Optional(Type.Boolean({ description: 'Only blocks that still hold' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
  },
  closed,
);

export const LinkBlockParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, closed);

/** The owner's view (issue 14): which of their links are blocked, and why; which broke the plan's link rules. */
export const OwnerBlockedLinks = Type.Object(
  {
    refused: Type.Array(
      Type.Object(
        {
          kind: Kind,
          hint: Hint,
          rule: Type.Union([Type.Literal('password'), Type.Literal('expiry')], {
            description: "The plan's rule the link breaks: it has no password, or it expires too late (or never)",
          }),
          firstAt: { ...DateTime, description: 'When the edge first refused it' },
          lastAt: { ...DateTime, description: 'When the edge last refused it' },
        },
        closed,
      ),
      { description: "Links the edge refused for breaking the plan's link rules, the latest refusal first" },
    ),
    links: Type.Array(
      Type.Object(
        {
          id: Type.String({ format: 'uuid' }),
          kind: Kind,
          hint: Hint,
          reason: Type.String({ description: 'Why the operator blocked it' }),
          blockedAt: DateTime,
          liftedAt: Nullable(DateTime),
          liftReason: Nullable(Type.String()),
        },
        closed,
      ),
    ),
  },
  closed,
);
