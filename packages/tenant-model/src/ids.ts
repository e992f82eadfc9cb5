import { validationError } from './errors.ts';

declare const idKind: unique symbol;

/**
 * Branded strings: structurally still strings (so they go straight into Prisma and JSON), but a MemberId
 * cannot be passed where an InstanceId is expected, which is exactly the mix-up tenancy bugs are made of.
 */
export type Id<Kind extends string> = string & { readonly [idKind]: Kind };

export type AccountId = Id<'Account'>;
export type PlanId = Id<'Plan'>;
export type SubscriptionId = Id<'Subscription'>;
export type InstanceId = Id<'Instance'>;
export type MemberId = Id<'Member'>;
export type InvitationId = Id<'Invitation'>;
export type ApiKeyId = Id<'ApiKey'>;
export type SessionId = Id<'Session'>;

const MAX_ID_LENGTH = 128;
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * The only way to mint an id from outside data. Ids are opaque (uuid, cuid, Stripe ids all fit), so only
 * the shape that could break paths, labels or logs is refused.
 */
export function parseId<T extends Id<string>>(value: unknown, field = 'id'): T {
  if (typeof value !== 'string' || value.length === 0)
    throw validationError(field, `${field} must be a non-empty string`);
  if (value.length > MAX_ID_LENGTH)
    throw validationError(field, `${field} must be at most ${MAX_ID_LENGTH} characters`);
  if (!ID_PATTERN.test(value)) throw validationError(field, `${field} may only contain letters, digits, '_' and '-'`);
  return value as T;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID (any case), the shape of every database key: a lookup by anything else is answered
 * "not found" without a query (PostgreSQL would refuse the cast with an error).
 */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
