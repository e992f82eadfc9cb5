import { DomainError, validationError } from './errors.ts';
import type { PlanId } from './ids.ts';

export const BYTES_PER_GIB = 1024n ** 3n;

export interface Plan {
  readonly id: PlanId;
  readonly name: string;
  /** Bytes are bigint everywhere: a 16 TiB plan in bytes is past what float arithmetic adds exactly. */
  readonly storageBytes: bigint;
  readonly stripePriceId: string;
  /**
   * Whether the plan's libraries may share public links (issue 14): when false, the edge refuses every request that
   * follows a link (`/share/<key>`, `?key=` …) with 403. Absent means allowed.
   */
  readonly publicLinks?: boolean;
  /** Every public link must expire at most this many days after it was made (issue 14); absent: no limit. */
  readonly linkMaxExpiryDays?: number;
  /** Every public link must have a password (issue 14); absent means not required. */
  readonly linkPasswordRequired?: boolean;
}

/** The longest link lifetime a plan may ask for, in days (ten years): past that, it asks nothing. */
export const LINK_MAX_EXPIRY_DAYS_LIMIT = 3650;

/** Whole GiB to bytes. Fractions are refused rather than rounded, so no quota is ever silently changed. */
export function gibToBytes(gib: number | bigint, field = 'storageGib'): bigint {
  if (typeof gib === 'bigint') {
    if (gib < 0n) throw validationError(field, `${field} must not be negative`, 'non_negative');
    return gib * BYTES_PER_GIB;
  }
  if (!Number.isSafeInteger(gib)) throw validationError(field, `${field} must be a whole number of GiB`, 'integer');
  if (gib < 0) throw validationError(field, `${field} must not be negative`, 'non_negative');
  return BigInt(gib) * BYTES_PER_GIB;
}

/** Bytes to GiB for display, rounded down; exact for every value gibToBytes produced. */
export function bytesToGib(bytes: bigint): bigint {
  return bytes / BYTES_PER_GIB;
}

const PLAN_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const STRIPE_PRICE_PATTERN = /^price_[A-Za-z0-9_]+$/;
const MAX_NAME_LENGTH = 100;

function readGib(value: unknown, field: string): number {
  // Configuration often comes from env or YAML, where numbers arrive as digit strings.
  const gib = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof gib !== 'number' || !Number.isSafeInteger(gib) || gib <= 0) {
    throw validationError(field, `${field} must be a positive whole number of GiB`, 'positive_integer');
  }
  return gib;
}

/**
 * One plan from a configuration object `{ id, name, storageGib, stripePriceId, publicLinks?, linkMaxExpiryDays?,
 * linkPasswordRequired? }` (SPEC P3, issue 14).
 */
export function parsePlan(input: unknown, path = 'plan'): Plan {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw validationError(path, `${path} must be an object`);
  }
  const raw = input as Record<string, unknown>;
  const { id, name, stripePriceId } = raw;
  if (typeof id !== 'string' || !PLAN_ID_PATTERN.test(id)) {
    throw validationError(`${path}.id`, `${path}.id must be a lowercase slug (a-z, 0-9, '-', '_')`);
  }
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > MAX_NAME_LENGTH) {
    throw validationError(
      `${path}.name`,
      `${path}.name must be a non-empty name of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const gib = readGib(raw.storageGib, `${path}.storageGib`);
  if (typeof stripePriceId !== 'string' || !STRIPE_PRICE_PATTERN.test(stripePriceId)) {
    throw validationError(`${path}.stripePriceId`, `${path}.stripePriceId must be a Stripe price id (price_...)`);
  }
  const { publicLinks = true } = raw;
  if (typeof publicLinks !== 'boolean')
    throw validationError(`${path}.publicLinks`, `${path}.publicLinks must be true or false`);
  const { linkMaxExpiryDays, linkPasswordRequired = false } = raw;
  if (
    linkMaxExpiryDays !== undefined &&
    (typeof linkMaxExpiryDays !== 'number' ||
      !Number.isSafeInteger(linkMaxExpiryDays) ||
      linkMaxExpiryDays < 1 ||
      linkMaxExpiryDays > LINK_MAX_EXPIRY_DAYS_LIMIT)
  ) {
    throw validationError(
      `${path}.linkMaxExpiryDays`,
      `${path}.linkMaxExpiryDays must be a whole number of days from 1 to ${LINK_MAX_EXPIRY_DAYS_LIMIT}`,
    );
  }
  if (typeof linkPasswordRequired !== 'boolean')
    throw validationError(`${path}.linkPasswordRequired`, `${path}.linkPasswordRequired must be true or false`);
  return {
    id: id as PlanId,
    name: name.trim(),
    storageBytes: gibToBytes(gib),
    stripePriceId,
    publicLinks,
    ...(linkMaxExpiryDays === undefined ? {} : { linkMaxExpiryDays }),
    linkPasswordRequired,
  };
}

/** The plan catalogue: at least one plan, ids and Stripe prices unique (a price maps back to one plan). */
export function parsePlans(input: unknown): Plan[] {
  if (!Array.isArray(input) || input.length === 0) throw validationError('plans', 'plans must be a non-empty list');
  const plans = input.map((entry, index) => parsePlan(entry, `plans[${index}]`));
  const ids = new Set<string>();
  const prices = new Set<string>();
  for (const [index, plan] of plans.entries()) {
    if (ids.has(plan.id)) {
      throw new DomainError('conflict', `plans[${index}].id '${plan.id}' is used twice`, {
        field: `plans[${index}].id`,
      });
    }
    if (prices.has(plan.stripePriceId)) {
      throw new DomainError('conflict', `plans[${index}].stripePriceId '${plan.stripePriceId}' is used twice`, {
        field: `plans[${index}].stripePriceId`,
      });
    }
    ids.add(plan.id);
    prices.add(plan.stripePriceId);
  }
  return plans;
}

export function findPlanByPrice(plans: readonly Plan[], stripePriceId: string): Plan | undefined {
  return plans.find((plan) => plan.stripePriceId === stripePriceId);
}

/**
 * The storage watchdog's hard limit (issue 13): the plan's storage plus a grace in percent (whole bytes, rounded
 * down), so the photo app's own overhead (thumbnails, its database) does not stop an instance that is within its plan.
 */
export function storageHardLimit(planBytes: bigint, gracePercent: number): bigint {
  if (!Number.isInteger(gracePercent) || gracePercent < 0 || gracePercent > 1000) {
    throw new RangeError(`grace must be a whole percentage from 0 to 1000, not ${gracePercent}`);
  }
  return (planBytes * BigInt(100 + gracePercent)) / 100n;
}

/**
 * Whether measured storage is over the hard limit. `tolerated`: the size staff accepted when they lifted a storage
 * hold (so the owner can delete); only growth beyond it counts until the instance is back under its limit.
 */
export function storageOverLimit(measured: bigint, limit: bigint, tolerated: bigint | null = null): boolean {
  if (measured <= limit) return false;
  return tolerated === null || measured > tolerated;
}
