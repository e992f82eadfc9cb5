import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allocatedBytes,
  basisPoints,
  checkAllocation,
  checkPlanChange,
  effectiveLimit,
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

  it("an unlimited member's effective limit is the plan minus everybody else's usage, never negative", () => {
    assert.equal(effectiveLimit(plan, [m(1, null, 10n), m(2, 50n, 30n), m(3, null, 5n)], id(1)), 65n);
    assert.equal(effectiveLimit(plan, [m(1, null, 0n), m(2, 50n, 130n)], id(1)), 0n);
  });

  it('a finite quota is a ceiling capped by what the instance has left, not a reservation', () => {
    assert.equal(effectiveLimit(plan, [m(1, 40n, 0n), m(2, null, 20n)], id(1)), 40n);
    assert.equal(effectiveLimit(plan, [m(1, 40n, 0n), m(2, null, 90n)], id(1)), 10n);
  });

  it('M4: an upload is refused at the member quota and at the instance limit, saying which', () => {
    const members = [m(1, 40n, 35n), m(2, null, 50n)];
    assert.equal(mayUpload(plan, members, id(1), 5n).ok, true);
    const overQuota = refusal(mayUpload(plan, members, id(1), 6n));
    assert.deepEqual([overQuota.details.limit, overQuota.details.bytesAvailable], ['member', 5n]);
    const overPlan = refusal(mayUpload(plan, members, id(2), 16n));
    assert.deepEqual([overPlan.details.limit, overPlan.details.bytesAvailable], ['instance', 15n]);
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
        ['m1', 2500, 40n],
        ['m2', null, 90n],
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
  | { kind: 'plan'; bytes: bigint };

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
);

describe('quota roll-up: properties', () => {
  it('no sequence of accepted allocations, uploads and plan changes lets the instance exceed its plan or a member exceed its effective limit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1000n }), fc.array(opArb, { maxLength: 60 }), (initialPlan, ops) => {
        let plan = initialPlan;
        let members: QuotaMember[] = [];
        const pick = (n: number) => members[n % members.length]!;
        for (const op of ops) {
          if (op.kind === 'add') {
            const next = id(members.length);
            const check = checkAllocation(plan, members, { memberId: next, quotaBytes: op.quota });
            // The refusal must be exactly the allocation rule, no stricter.
            const fits = op.quota === null || allocatedBytes(members) + op.quota <= plan;
            assert.equal(check.ok, fits);
            if (check.ok) members = [...members, { id: next, quotaBytes: op.quota, usageBytes: 0n }];
          } else if (op.kind === 'setQuota' && members.length > 0) {
            const target = pick(op.who);
            const check = checkAllocation(plan, members, { memberId: target.id, quotaBytes: op.quota });
            const others = allocatedBytes(members.filter((x) => x !== target));
            assert.equal(check.ok, op.quota === null || others + op.quota <= plan);
            if (check.ok) members = members.map((x) => (x === target ? { ...x, quotaBytes: op.quota } : x));
          } else if (op.kind === 'upload' && members.length > 0) {
            const target = pick(op.who);
            const check = mayUpload(plan, members, target.id, op.bytes);
            const withinQuota = target.quotaBytes === null || target.usageBytes + op.bytes <= target.quotaBytes;
            const withinPlan = usedBytes(members) + op.bytes <= plan;
            assert.equal(check.ok, withinQuota && withinPlan, 'refused exactly when quota or plan would be exceeded');
            if (check.ok) {
              members = members.map((x) => (x === target ? { ...x, usageBytes: x.usageBytes + op.bytes } : x));
              const after = members.find((x) => x.id === target.id)!;
              assert.ok(
                after.usageBytes <= effectiveLimit(plan, members, target.id),
                'member within its effective limit',
              );
            } else {
              const available = refusal(check).details.bytesAvailable;
              assert.ok(typeof available === 'bigint' && available < op.bytes);
            }
          } else if (op.kind === 'free' && members.length > 0) {
            const target = pick(op.who);
            const freed = op.bytes < target.usageBytes ? op.bytes : target.usageBytes;
            members = members.map((x) => (x === target ? { ...x, usageBytes: x.usageBytes - freed } : x));
          } else if (op.kind === 'plan') {
            const check = checkPlanChange(op.bytes, members);
            if (check.ok) plan = op.bytes;
          }
          assert.ok(usedBytes(members) <= plan, 'instance total within plan');
          assert.ok(allocatedBytes(members) <= plan, 'finite quotas within plan');
        }
      }),
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

  it("in any state within the plan, an unlimited member's effective limit equals the plan minus the others' usage", () => {
    const membersArb = fc.uniqueArray(
      fc.record({ n: fc.nat(50), quotaBytes: quotaArb, usageBytes: fc.bigInt({ min: 0n, max: 100n }) }),
      { selector: (x) => x.n, minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(membersArb, fc.bigInt({ min: 800n, max: 2000n }), (raw, plan) => {
        const members = raw.map((x) => m(x.n, x.quotaBytes, x.usageBytes));
        for (const member of members) {
          const limit = effectiveLimit(plan, members, member.id);
          const room = plan - (usedBytes(members) - member.usageBytes);
          assert.equal(limit, member.quotaBytes === null || member.quotaBytes > room ? room : member.quotaBytes);
        }
      }),
    );
  });
});
