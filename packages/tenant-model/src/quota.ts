import { allowed, DomainError, memberNotFound, refused, validationError, type Check } from './errors.ts';
import type { MemberId } from './ids.ts';
import type { MemberStatus } from './member.ts';

/**
 * Quota roll-up (SPEC tenancy rules, M4, P6). The plan gives the instance S bytes.
 *
 * Two invariants:
 *   1. allocation: the sum of finite quotas never exceeds S;
 *   2. storage: the instance's total usage never exceeds S, at any moment, also between usage syncs.
 *
 * The photo app enforces each member's effective limit on upload, and only learns new limits when the control
 * plane pushes them (usage sync, member change, plan change). For 2 to hold between pushes, the limits pushed
 * must never add up to more than S: each member's effective limit is their usage plus a share of the headroom
 * (S minus everybody's usage), and the shares add up to at most the headroom. Were an unlimited member's limit
 * "S minus the others' usage", two unlimited members could each fill the whole headroom before the next sync.
 *
 * The headroom is split in equal shares among the members who may still grow (max-min fair, "water filling"):
 * active members whose finite quota leaves room, and every active unlimited member. A finite member whose room
 * is smaller than an equal share gets exactly its room and the rest is split again among the others. Equal
 * rather than proportional: an unlimited member has no number to weigh by, weighing by past usage would starve
 * a new member and reward whoever filled the instance first, and equal shares cannot be gamed by uploading
 * more. Invited, disabled and pending-deletion members cannot upload, so they get no share (their limit is their
 * usage); their files and quotas still count. A share is recomputed whenever usage, a quota, a member or the
 * plan changes, so an active uploader's share grows at every sync as the others stay idle.
 *
 * Members with status 'deleted' are purged and count for nothing. Members pending deletion still hold both
 * their files and their quota, because restoring them must not overcommit the plan.
 * External libraries are not usage (seed 000); callers pass library usage only.
 */
export interface QuotaMember {
  readonly id: MemberId;
  readonly quotaBytes: bigint | null;
  readonly usageBytes: bigint;
  readonly status?: MemberStatus;
}

const BASIS_POINTS = 10_000n;

function requirePlanBytes(planBytes: bigint): void {
  if (planBytes <= 0n) throw validationError('planBytes', 'A plan must provide a positive number of bytes.');
}

function live(members: readonly QuotaMember[]): QuotaMember[] {
  const seen = new Set<MemberId>();
  const result: QuotaMember[] = [];
  for (const member of members) {
    if (seen.has(member.id)) throw validationError('members', `Member ${member.id} is listed twice.`);
    seen.add(member.id);
    if (member.usageBytes < 0n) throw validationError('usageBytes', 'Usage cannot be negative.');
    if (member.quotaBytes !== null && member.quotaBytes <= 0n) {
      throw validationError('quotaBytes', 'A finite quota must be positive; unlimited is null.');
    }
    if (member.status !== 'deleted') result.push(member);
  }
  return result;
}

function sum(values: Iterable<bigint>): bigint {
  let total = 0n;
  for (const value of values) total += value;
  return total;
}

function atLeastZero(value: bigint): bigint {
  return value < 0n ? 0n : value;
}

export function allocatedBytes(members: readonly QuotaMember[]): bigint {
  return sum(live(members).flatMap((member) => (member.quotaBytes === null ? [] : [member.quotaBytes])));
}

export function usedBytes(members: readonly QuotaMember[]): bigint {
  return sum(live(members).map((member) => member.usageBytes));
}

function find(members: readonly QuotaMember[], memberId: MemberId): QuotaMember {
  const member = members.find((candidate) => candidate.id === memberId);
  if (member === undefined) throw memberNotFound();
  return member;
}

/**
 * Whether `change` (a new member or a new quota for an existing one) keeps the sum of finite quotas within
 * the plan. A quota below current usage is accepted, as in Immich: the member simply cannot upload until
 * they free space.
 */
export function checkAllocation(
  planBytes: bigint,
  members: readonly QuotaMember[],
  change: { readonly memberId: MemberId; readonly quotaBytes: bigint | null },
): Check {
  requirePlanBytes(planBytes);
  if (change.quotaBytes !== null && change.quotaBytes <= 0n) {
    throw validationError('quota', 'A finite quota must be positive; use unlimited (0 GiB) instead.');
  }
  const others = live(members).filter((member) => member.id !== change.memberId);
  if (change.quotaBytes === null) return allowed;
  const othersAllocated = allocatedBytes(others);
  if (othersAllocated + change.quotaBytes <= planBytes) return allowed;
  const bytesAvailable = atLeastZero(planBytes - othersAllocated);
  return refused(
    new DomainError('quota_exceeded', 'The quota exceeds what the plan has left to allocate.', {
      field: 'quota',
      bytesAvailable,
      planBytes,
      allocatedBytes: othersAllocated,
    }),
  );
}

interface Limit {
  readonly limit: bigint;
  readonly boundBy: 'member' | 'instance';
}

/** Whether this member may store more: it can upload (active) and its own quota leaves room. */
function roomToGrow(member: QuotaMember): bigint | null | undefined {
  if ((member.status ?? 'active') !== 'active') return undefined;
  if (member.quotaBytes === null) return null;
  return member.quotaBytes > member.usageBytes ? member.quotaBytes - member.usageBytes : undefined;
}

/**
 * Every live member's effective limit: usage plus an equal share of the headroom, each share capped by the
 * member's remaining quota (water filling). The limits of all live members add up to at most
 * max(S, total usage): at most S whenever the instance is within its plan. Shares are whole bytes; the few bytes
 * a floor division leaves over stay unallocated.
 */
function splitHeadroom(planBytes: bigint, current: readonly QuotaMember[]): Map<MemberId, Limit> {
  let headroom = atLeastZero(planBytes - usedBytes(current));
  const result = new Map<MemberId, Limit>();
  let growing: { member: QuotaMember; room: bigint | null }[] = [];
  for (const member of current) {
    const room = roomToGrow(member);
    if (room === undefined) {
      // Over or at its own quota, or unable to upload: it keeps what it has and no more.
      const limit =
        member.quotaBytes !== null && member.quotaBytes < member.usageBytes ? member.quotaBytes : member.usageBytes;
      result.set(member.id, { limit, boundBy: member.quotaBytes === limit ? 'member' : 'instance' });
    } else {
      growing.push({ member, room });
    }
  }
  // Members whose room is within an equal share take just their room; the rest is split again among the others.
  for (;;) {
    if (growing.length === 0) return result;
    const share = headroom / BigInt(growing.length);
    const capped = growing.filter((g) => g.room !== null && g.room <= share);
    if (capped.length === 0) {
      for (const { member } of growing)
        result.set(member.id, { limit: member.usageBytes + share, boundBy: 'instance' });
      return result;
    }
    for (const { member, room } of capped) {
      headroom -= room!;
      result.set(member.id, { limit: member.quotaBytes!, boundBy: 'member' });
    }
    growing = growing.filter((g) => !capped.includes(g));
  }
}

function limitOf(planBytes: bigint, current: readonly QuotaMember[], member: QuotaMember): Limit {
  return splitHeadroom(planBytes, current).get(member.id)!;
}

/** The most this member may hold until the next re-split, never negative. Recompute whenever usage or quotas change. */
export function effectiveLimit(planBytes: bigint, members: readonly QuotaMember[], memberId: MemberId): bigint {
  requirePlanBytes(planBytes);
  const current = live(members);
  return limitOf(planBytes, current, find(current, memberId)).limit;
}

/** All live members' effective limits at once (one split), keyed by member id. */
export function effectiveLimits(planBytes: bigint, members: readonly QuotaMember[]): ReadonlyMap<MemberId, bigint> {
  requirePlanBytes(planBytes);
  const split = splitHeadroom(planBytes, live(members));
  return new Map([...split].map(([id, { limit }]) => [id, limit]));
}

/** SPEC M4: an upload is refused at the member's effective limit (its share until the next re-split). */
export function mayUpload(
  planBytes: bigint,
  members: readonly QuotaMember[],
  memberId: MemberId,
  bytes: bigint,
): Check {
  requirePlanBytes(planBytes);
  if (bytes < 0n) throw validationError('bytes', 'An upload cannot have a negative size.');
  const current = live(members);
  const member = find(current, memberId);
  const { limit, boundBy } = limitOf(planBytes, current, member);
  if (member.usageBytes + bytes <= limit) return allowed;
  const message =
    boundBy === 'member'
      ? 'The upload would exceed your storage quota.'
      : 'The upload would exceed the storage of this instance.';
  return refused(
    new DomainError('quota_exceeded', message, {
      field: 'bytes',
      bytesAvailable: atLeastZero(limit - member.usageBytes),
      limitBytes: limit,
      limit: boundBy,
    }),
  );
}

/**
 * SPEC P6 and tenancy rules: a plan change is refused when the new plan is smaller than what is allocated
 * (finite quotas) or stored. `bytesToFree` is the larger shortfall; the details split it so the portal
 * can say "lower quotas by X" and "delete Y of photos" separately.
 */
export function checkPlanChange(newPlanBytes: bigint, members: readonly QuotaMember[]): Check {
  requirePlanBytes(newPlanBytes);
  const current = live(members);
  const allocationExcess = atLeastZero(allocatedBytes(current) - newPlanBytes);
  const usageExcess = atLeastZero(usedBytes(current) - newPlanBytes);
  if (allocationExcess === 0n && usageExcess === 0n) return allowed;
  return refused(
    new DomainError('plan_downgrade_blocked', 'The new plan is smaller than what this instance allocates or stores.', {
      field: 'planId',
      bytesToFree: allocationExcess > usageExcess ? allocationExcess : usageExcess,
      quotaBytesToRelease: allocationExcess,
      usageBytesToDelete: usageExcess,
      planBytes: newPlanBytes,
    }),
  );
}

/** Integer basis points (10000 = 100 %) from bigints; floor, and may exceed 10000 when over a limit. */
export function basisPoints(part: bigint, whole: bigint): number {
  if (whole <= 0n) throw validationError('whole', 'A percentage needs a positive whole.');
  return Number((part * BASIS_POINTS) / whole);
}

export interface MemberUsage {
  readonly memberId: MemberId;
  readonly usageBytes: bigint;
  readonly quotaBytes: bigint | null;
  readonly effectiveLimitBytes: bigint;
  /** Usage against the member's own quota; null for unlimited members, who have no quota to fill. */
  readonly quotaBasisPoints: number | null;
}

export interface UsageStats {
  readonly members: readonly MemberUsage[];
  readonly planBytes: bigint;
  readonly usedBytes: bigint;
  readonly allocatedBytes: bigint;
  readonly unallocatedBytes: bigint;
  readonly freeBytes: bigint;
  readonly usedBasisPoints: number;
}

/** SPEC M8: per-member usage and percentage of quota; instance total against the plan. */
export function usageStats(planBytes: bigint, members: readonly QuotaMember[]): UsageStats {
  requirePlanBytes(planBytes);
  const current = live(members);
  const used = usedBytes(current);
  const allocated = allocatedBytes(current);
  const split = splitHeadroom(planBytes, current);
  return {
    members: current.map((member) => ({
      memberId: member.id,
      usageBytes: member.usageBytes,
      quotaBytes: member.quotaBytes,
      effectiveLimitBytes: split.get(member.id)!.limit,
      quotaBasisPoints: member.quotaBytes === null ? null : basisPoints(member.usageBytes, member.quotaBytes),
    })),
    planBytes,
    usedBytes: used,
    allocatedBytes: allocated,
    unallocatedBytes: atLeastZero(planBytes - allocated),
    freeBytes: atLeastZero(planBytes - used),
    usedBasisPoints: basisPoints(used, planBytes),
  };
}
