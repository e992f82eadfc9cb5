import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allocatedBytes,
  basisPoints,
  checkAllocation,
  checkPlanChange,
  effectiveLimit,
  effectiveLimits,
  mayUpload,
  usageStats,
  usedBytes,
  type QuotaMember,
} from './quota.ts';
import { isDomainError, type Check, type DomainError } from './errors.ts';
import type { MemberId } from './ids.ts';

const id = (n: number) => `m${n}` as MemberId;
const m = (n: number, quotaBytes: bigint | null, usageBytes: bigint): QuotaMember => ({
  id: id(n),
  quotaBytes,
  usageBytes,
});

function refusal(check: Check): DomainError {
  assert.equal(check.ok, false, 'expected a refusal');
  return (check as { error: DomainError }).error;
}

describe('quota roll-up: examples', () => {
  const plan = 100n;

  it('the sum of finite quotas may reach the plan but not exceed it; bytesAvailable says what is left', () => {
    const members = [m(1, 60n, 0n), m(2, null, 0n)];
    assert.equal(checkAllocation(plan, members, { memberId: id(3), quotaBytes: 40n }).ok, true);
    const error = refusal(checkAllocation(plan, members, { memberId: id(3), quotaBytes: 41n }));
    assert.equal(error.code, 'quota_exceeded');
    assert.equal(error.details.bytesAvailable, 40n);
    assert.equal(error.details.field, 'quota');
  });

  it("changing a member's own quota does not count its old quota twice", () => {
    assert.equal(checkAllocation(plan, [m(1, 60n, 0n), m(2, 40n, 0n)], { memberId: id(1), quotaBytes: 60n }).ok, true);
  });

  it('unlimited quotas never count towards the allocation', () => {
    assert.equal(checkAllocation(plan, [m(1, 100n, 0n)], { memberId: id(2), quotaBytes: null }).ok, true);
  });

  it('the headroom (plan minus all usage) is split in equal shares among the members who may grow', () => {
    // 55 bytes of headroom, three members with room: 18 each (the byte a floor division leaves stays free).
    const members = [m(1, null, 10n), m(2, 50n, 30n), m(3, null, 5n)];
    assert.deepEqual([...effectiveLimits(plan, members).values()], [28n, 48n, 23n]);
    assert.equal(effectiveLimit(plan, members, id(1)), 28n);
    assert.equal(effectiveLimit(plan, [m(1, null, 0n), m(2, 50n, 130n)], id(1)), 0n, 'never negative');
  });

  it('a finite member whose room is below an equal share gets its room; the rest goes to the others', () => {
    assert.equal(effectiveLimit(plan, [m(1, 40n, 0n), m(2, null, 20n)], id(1)), 40n);
    assert.equal(effectiveLimit(plan, [m(1, 40n, 0n), m(2, null, 20n)], id(2)), 60n);
    assert.equal(effectiveLimit(plan, [m(1, 40n, 0n), m(2, null, 90n)], id(1)), 5n);
  });

  it('two unlimited members cannot both fill the plan between syncs: each may grow by half the headroom', () => {
    const members = [m(1, null, 0n), m(2, null, 0n)];
    assert.equal(effectiveLimit(plan, members, id(1)) + effectiveLimit(plan, members, id(2)), plan);
    assert.equal(effectiveLimit(plan, members, id(1)), 50n);
  });

  it('invited, disabled and pending-deletion members get no share; their usage still counts', () => {
    const members: QuotaMember[] = [
      { ...m(1, null, 10n), status: 'invited' },
      { ...m(2, null, 20n), status: 'disabled' },
      { ...m(3, 50n, 30n), status: 'pending_deletion' },
      m(4, null, 0n),
    ];
    assert.deepEqual([...effectiveLimits(plan, members).values()], [10n, 20n, 30n, 40n]);
  });

  it('M4: an upload is refused at the member quota and at the instance limit, saying which', () => {
    const members = [m(1, 40n, 35n), m(2, null, 50n)];
    assert.equal(mayUpload(plan, members, id(1), 5n).ok, true);
    const overQuota = refusal(mayUpload(plan, members, id(1), 6n));
    assert.deepEqual([overQuota.details.limit, overQuota.details.bytesAvailable], ['member', 5n]);
    // 15 bytes of headroom: m1's room (5) is below an equal share, so m2 may grow by the other 10.
    assert.equal(mayUpload(plan, members, id(2), 10n).ok, true);
    const overPlan = refusal(mayUpload(plan, members, id(2), 11n));
    assert.deepEqual([overPlan.details.limit, overPlan.details.bytesAvailable], ['instance', 10n]);
  });

  it('an unknown member is refused with the same not-found as every other member lookup', () => {
    assert.throws(
      () => mayUpload(plan, [], id(9), 1n),
      (e: unknown) => isDomainError(e, 'not_found') && e.message === 'No such member',
    );
  });

  it('a downgrade below the allocation or the usage is refused with bytesToFree (the larger shortfall)', () => {
    const members = [m(1, 60n, 10n), m(2, null, 30n)];
    assert.equal(checkPlanChange(60n, members).ok, true);
    const error = refusal(checkPlanChange(50n, members));
    assert.equal(error.code, 'plan_downgrade_blocked');
    assert.deepEqual(
      [error.details.bytesToFree, error.details.quotaBytesToRelease, error.details.usageBytesToDelete],
      [10n, 10n, 0n],
    );
    const byUsage = refusal(checkPlanChange(30n, [m(1, null, 45n)]));
    assert.deepEqual([byUsage.details.bytesToFree, byUsage.details.usageBytesToDelete], [15n, 15n]);
  });

  it('deleted (purged) members count for nothing; members pending deletion still count', () => {
    const members: QuotaMember[] = [
      { ...m(1, 60n, 50n), status: 'deleted' },
      { ...m(2, 30n, 20n), status: 'pending_deletion' },
    ];
    assert.equal(allocatedBytes(members), 30n);
    assert.equal(usedBytes(members), 20n);
  });

  it('M8: usage stats give per-member basis points of quota (null when unlimited) and the instance total', () => {
    const stats = usageStats(plan, [m(1, 40n, 10n), m(2, null, 33n)]);
    assert.deepEqual(
      stats.members.map((s) => [s.memberId, s.quotaBasisPoints, s.effectiveLimitBytes]),
      [
        ['m1', 2500, 38n],
        ['m2', null, 61n],
      ],
    );
    assert.deepEqual(
      [stats.usedBytes, stats.allocatedBytes, stats.unallocatedBytes, stats.freeBytes, stats.usedBasisPoints],
      [43n, 40n, 60n, 57n, 4300],
    );
  });

  it('basis points are computed in bigint, so huge byte counts keep integer precision', () => {
    const pib = 2n ** 50n;
    assert.equal(basisPoints(pib / 3n, pib), 3333);
    assert.equal(basisPoints(pib * 2n, pib), 20000);
  });

  it('refuses malformed input: duplicate members, negative usage, zero finite quota, empty plan', () => {
    assert.throws(
      () => usedBytes([m(1, null, 0n), m(1, null, 0n)]),
      (e: unknown) => isDomainError(e, 'validation'),
    );
    assert.throws(
      () => usedBytes([m(1, null, -1n)]),
      (e: unknown) => isDomainError(e, 'validation'),
    );
    assert.throws(
      () => checkAllocation(plan, [], { memberId: id(1), quotaBytes: 0n }),
      (e: unknown) => isDomainError(e, 'validation'),
    );
    assert.throws(
      () => usageStats(0n, []),
      (e: unknown) => isDomainError(e, 'validation'),
    );
  });
});

type Op =
  | { kind: 'add'; quota: bigint | null }
  | { kind: 'setQuota'; who: number; quota: bigint | null }
  | { kind: 'upload'; who: number; bytes: bigint }
  | { kind: 'free'; who: number; bytes: bigint }
  | { kind: 'plan'; bytes: bigint }
  | { kind: 'status'; who: number; status: 'active' | 'disabled' | 'invited' }
  | { kind: 'sync' };

const quotaArb = fc.option(fc.bigInt({ min: 1n, max: 400n }), { nil: null, freq: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), quota: quotaArb }),
  fc.record({ kind: fc.constant('setQuota' as const), who: fc.nat(), quota: quotaArb }),
  {
    arbitrary: fc.record({
      kind: fc.constant('upload' as const),
      who: fc.nat(),
      bytes: fc.bigInt({ min: 0n, max: 300n }),
    }),
    weight: 4,
  },
  fc.record({ kind: fc.constant('free' as const), who: fc.nat(), bytes: fc.bigInt({ min: 0n, max: 200n }) }),
  fc.record({ kind: fc.constant('plan' as const), bytes: fc.bigInt({ min: 1n, max: 1200n }) }),
  fc.record({
    kind: fc.constant('status' as const),
    who: fc.nat(),
    status: fc.constantFrom('active' as const, 'disabled' as const, 'invited' as const),
  }),
  fc.record({ kind: fc.constant('sync' as const) }),
);

const sumOf = (values: Iterable<bigint>) => [...values].reduce((a, b) => a + b, 0n);

describe('quota roll-up: properties', () => {
  it('for any sequence of uploads between syncs, the instance stays within its plan (the photo app enforces the limits last pushed)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1000n }), fc.array(opArb, { maxLength: 80 }), (initialPlan, ops) => {
        let plan = initialPlan;
        let members: QuotaMember[] = [];
        // What the photo app holds: the limits pushed at the last re-split. Uploads are checked against these
        // only; usage syncs, member changes and plan changes re-split (as the provisioner does).
        let pushed = new Map<MemberId, bigint>();
        const resplit = () => {
          pushed = new Map(effectiveLimits(plan, members));
        };
        const pick = (n: number) => members[n % members.length]!;
        for (const op of ops) {
          if (op.kind === 'add') {
            const next = id(members.length);
            const check = checkAllocation(plan, members, { memberId: next, quotaBytes: op.quota });
            // The refusal must be exactly the allocation rule, no stricter.
            const fits = op.quota === null || allocatedBytes(members) + op.quota <= plan;
            assert.equal(check.ok, fits);
            if (check.ok) members = [...members, { id: next, quotaBytes: op.quota, usageBytes: 0n, status: 'active' }];
            resplit();
          } else if (op.kind === 'setQuota' && members.length > 0) {
            const target = pick(op.who);
            const check = checkAllocation(plan, members, { memberId: target.id, quotaBytes: op.quota });
            const others = allocatedBytes(members.filter((x) => x !== target));
            assert.equal(check.ok, op.quota === null || others + op.quota <= plan);
            if (check.ok) members = members.map((x) => (x === target ? { ...x, quotaBytes: op.quota } : x));
            resplit();
          } else if (op.kind === 'status' && members.length > 0) {
            const target = pick(op.who);
            members = members.map((x) => (x === target ? { ...x, status: op.status } : x));
            resplit();
          } else if (op.kind === 'upload' && members.length > 0) {
            const target = pick(op.who);
            const limit = pushed.get(target.id)!;
            const canUpload = target.status === 'active' && target.usageBytes + op.bytes <= limit;
            if (canUpload) {
              members = members.map((x) => (x === target ? { ...x, usageBytes: x.usageBytes + op.bytes } : x));
            }
          } else if (op.kind === 'free' && members.length > 0) {
            const target = pick(op.who);
            const freed = op.bytes < target.usageBytes ? op.bytes : target.usageBytes;
            members = members.map((x) => (x === target ? { ...x, usageBytes: x.usageBytes - freed } : x));
          } else if (op.kind === 'plan') {
            const check = checkPlanChange(op.bytes, members);
            if (check.ok) {
              plan = op.bytes;
              resplit();
            }
          } else if (op.kind === 'sync') {
            resplit();
          }
          assert.ok(usedBytes(members) <= plan, 'instance total within plan');
          assert.ok(allocatedBytes(members) <= plan, 'finite quotas within plan');
          assert.ok(sumOf(pushed.values()) <= plan, 'the limits the photo app holds add up to at most the plan');
        }
      }),
    );
  });

  it('an upload the model accepts is one within the effective limit; a refusal names what is still available', () => {
    const membersArb = fc.uniqueArray(
      fc.record({ n: fc.nat(50), quotaBytes: quotaArb, usageBytes: fc.bigInt({ min: 0n, max: 100n }) }),
      { selector: (x) => x.n, minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(
        membersArb,
        fc.bigInt({ min: 800n, max: 2000n }),
        fc.bigInt({ min: 0n, max: 2000n }),
        (raw, plan, bytes) => {
          const members = raw.map((x) => m(x.n, x.quotaBytes, x.usageBytes));
          for (const member of members) {
            const limit = effectiveLimit(plan, members, member.id);
            const check = mayUpload(plan, members, member.id, bytes);
            assert.equal(check.ok, member.usageBytes + bytes <= limit);
            if (!check.ok)
              assert.equal(
                check.error.details.bytesAvailable,
                limit > member.usageBytes ? limit - member.usageBytes : 0n,
              );
          }
        },
      ),
    );
  });

  it('bytesToFree is exactly the shortfall: the plan plus bytesToFree is accepted, one byte less is not', () => {
    const membersArb = fc.uniqueArray(
      fc.record({ n: fc.nat(50), quotaBytes: quotaArb, usageBytes: fc.bigInt({ min: 0n, max: 500n }) }),
      { selector: (x) => x.n, maxLength: 8 },
    );
    fc.assert(
      fc.property(membersArb, fc.bigInt({ min: 1n, max: 1500n }), (raw, newPlan) => {
        const members = raw.map((x) => m(x.n, x.quotaBytes, x.usageBytes));
        const check = checkPlanChange(newPlan, members);
        const needed = [allocatedBytes(members), usedBytes(members), newPlan].reduce((a, b) => (a > b ? a : b));
        assert.equal(check.ok, needed === newPlan);
        if (!check.ok) {
          const toFree = check.error.details.bytesToFree;
          assert.ok(typeof toFree === 'bigint');
          assert.equal(checkPlanChange(newPlan + toFree, members).ok, true);
          assert.equal(checkPlanChange(newPlan + toFree - 1n, members).ok, false);
        }
      }),
    );
  });

  it('in any state within the plan: limits add up to at most S, nobody below their usage, finite members within quota, and the headroom is fully handed out when an unlimited member may grow', () => {
    const membersArb = fc.uniqueArray(
      fc.record({
        n: fc.nat(50),
        quotaBytes: quotaArb,
        usageBytes: fc.bigInt({ min: 0n, max: 100n }),
        status: fc.constantFrom('active' as const, 'active' as const, 'disabled' as const, 'invited' as const),
      }),
      { selector: (x) => x.n, minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(membersArb, fc.bigInt({ min: 800n, max: 2000n }), (raw, plan) => {
        const members = raw.map((x) => ({ ...m(x.n, x.quotaBytes, x.usageBytes), status: x.status }));
        const limits = effectiveLimits(plan, members);
        assert.ok(sumOf(limits.values()) <= plan);
        for (const member of members) {
          const limit = limits.get(member.id)!;
          assert.equal(limit, effectiveLimit(plan, members, member.id));
          if (member.quotaBytes === null || member.quotaBytes >= member.usageBytes)
            assert.ok(limit >= member.usageBytes);
          if (member.quotaBytes !== null) assert.ok(limit <= member.quotaBytes);
          if (member.status !== 'active') assert.ok(limit <= member.usageBytes, 'no share for who cannot upload');
        }
        const growers = members.filter((x) => x.status === 'active' && x.quotaBytes === null).length;
        if (growers > 0) {
          const active = members.filter((x) => x.status === 'active').length;
          // A member over its own quota has a limit below its usage: count what it holds instead.
          const held = members.map((x) => (limits.get(x.id)! > x.usageBytes ? limits.get(x.id)! : x.usageBytes));
          assert.ok(sumOf(held) > plan - BigInt(active), 'only rounding is left unallocated');
        }
      }),
    );
  });
});
