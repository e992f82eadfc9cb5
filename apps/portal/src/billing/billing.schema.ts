// Request and response bodies of the plan, subdomain, checkout and subscription routes (SPEC P3-P9). Byte counts
// are decimal strings (JSON numbers lose precision past 2^53).
import { Type } from '@fastify/type-provider-typebox';
import { SUBDOMAIN_MAX_LENGTH } from '@photoplane/tenant-model';

const closed = { additionalProperties: false } as const;
const Bytes = Type.String({ pattern: '^[0-9]+$', description: 'Bytes, as a decimal string' });
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const Plan = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    storageGib: Type.Integer(),
    storageBytes: Bytes,
    priceCents: Type.Integer({ description: 'Price per billing period, in the smallest currency unit' }),
    currency: Type.String({ examples: ['eur'] }),
    publicLinks: Type.Boolean({ description: 'Whether the library may share public links (`/share/<key>`)' }),
    linkMaxExpiryDays: Nullable(
      Type.Integer({
        description: 'Every public link must expire within this many days of being made; null: no limit',
      }),
    ),
    linkPasswordRequired: Type.Boolean({ description: 'Every public link must have a password' }),
  },
  closed,
);

export const PlanList = Type.Object({ plans: Type.Array(Plan) }, closed);

export const SubdomainParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: SUBDOMAIN_MAX_LENGTH + 10, description: 'The name to check' }) },
  closed,
);

export const SubdomainAvailability = Type.Object(
  {
    subdomain: Type.String({ description: 'The name as it would be stored (lowercase)' }),
    available: Type.Boolean(),
    reason: Type.Optional(Type.Union([Type.Literal('invalid'), Type.Literal('reserved'), Type.Literal('taken')])),
    message: Type.Optional(Type.String()),
  },
  closed,
);

export const CheckoutBody = Type.Object(
  {
    planId: Type.String({ minLength: 1, maxLength: 64 }),
    subdomain: Type.String({ minLength: 1, maxLength: SUBDOMAIN_MAX_LENGTH + 10 }),
  },
  closed,
);

export const CheckoutStarted = Type.Object(
  {
    subscriptionId: Type.String({ format: 'uuid' }),
    sessionId: Type.String({ description: 'The Stripe Checkout Session' }),
    checkoutUrl: Type.String({ description: "Send the customer here: Stripe's payment page" }),
    expiresAt: Type.String({ format: 'date-time', description: 'The subdomain is held until then' }),
  },
  closed,
);

export const SubscriptionView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    state: Type.String({ examples: ['active', 'past_due', 'suspended', 'cancelled', 'retained', 'ended'] }),
    plan: Type.Object(
      {
        id: Type.String(),
        name: Type.String(),
        storageBytes: Bytes,
        priceCents: Type.Integer(),
        currency: Type.String(),
      },
      closed,
    ),
    currentPeriodEnd: Nullable(Instant),
    graceEndsAt: Nullable(Instant),
    retentionEndsAt: Nullable(Instant),
    instance: Nullable(
      Type.Object(
        {
          subdomain: Type.String(),
          url: Type.String(),
          state: Type.String(),
          provisioningStep: Nullable(Type.String()),
          lastError: Nullable(Type.String()),
          restoringSince: Nullable({
            ...Instant,
            description: 'Set while the library is being restored from a backup, in place (it is stopped until then)',
          }),
        },
        closed,
      ),
    ),
    storage: Type.Object(
      { planBytes: Bytes, allocatedBytes: Bytes, usedBytes: Bytes, freeBytes: Bytes },
      { ...closed, description: 'Allocated: the sum of finite member quotas; used: what members store' },
    ),
    planChangeRefused: Nullable(
      Type.Object(
        {
          requestedPlanId: Type.String(),
          message: Type.String(),
          bytesToFree: Nullable(Bytes),
          at: Instant,
        },
        { ...closed, description: 'The last plan change was refused: this much must be freed first' },
      ),
    ),
    storageHold: Nullable(
      Type.Object(
        { since: Instant, measuredBytes: Nullable(Bytes), limitBytes: Nullable(Bytes) },
        {
          ...closed,
          description:
            "The instance is stopped: its storage measured more than the plan's hard limit. A plan that fits starts it again.",
        },
      ),
    ),
  },
  closed,
);

export const BillingPortal = Type.Object(
  { url: Type.String({ description: "Stripe's customer portal: payment methods and invoices" }) },
  closed,
);

export const WebhookHeaders = Type.Object({ 'stripe-signature': Type.Optional(Type.String()) });

export const WebhookReceived = Type.Object(
  {
    received: Type.Literal(true),
    outcome: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('ignored')]),
  },
  closed,
);
