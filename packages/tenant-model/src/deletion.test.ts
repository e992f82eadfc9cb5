import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_DELETION_DELAY_DAYS,
  deletionDeadline,
  isDueForPurge,
  markPurged,
  parseDeletionDelayDays,
  restoreMember,
  scheduleDeletion,
  selectDueForPurge,
} from './deletion.ts';
import { isDomainError } from './errors.ts';
import { memberCanSignIn, type Member } from './member.ts';
import type { InstanceId, MemberId } from './ids.ts';

const DAY = 86_400_000;
const t0 = Date.UTC(2025, 2, 10, 15, 30);

function member(overrides: Partial<Member> = {}): Member {
  return {
    id: 'm1' as MemberId,
    instanceId: 'i1' as InstanceId,
    email: 'ann@example.com',
    name: 'Ann',
    role: 'user',
    status: 'active',
    quotaBytes: null,
    usageBytes: 123n,
    storageLabel: null,
    mustChangePassword: false,
    deletion: null,
    ...overrides,
  };
}

describe('member deletion (M7): examples', () => {
  it('scheduling disables the member at once and sets the deadline 7 days later by default', () => {
    const { member: pending, deleteAt } = scheduleDeletion(member(), t0);
    assert.equal(pending.status, 'pending_deletion');
    assert.equal(memberCanSignIn(pending), false);
    assert.equal(deleteAt.getTime(), t0 + DEFAULT_DELETION_DELAY_DAYS * DAY);
  });

  it('restore before the deadline brings back the previous status; at the deadline it is refused as expired', () => {
    const { member: pending } = scheduleDeletion(member({ status: 'disabled' }), t0, 7);
    assert.equal(restoreMember(pending, t0 + 7 * DAY - 1, 7).status, 'disabled');
    assert.throws(
      () => restoreMember(pending, t0 + 7 * DAY, 7),
      (e: unknown) => isDomainError(e, 'expired'),
    );
  });

  it('the delay is read when the deadline is evaluated: a changed delay applies to members already pending', () => {
    const { member: pending } = scheduleDeletion(member(), t0, 7);
    assert.equal(isDueForPurge(pending, t0 + 3 * DAY, 7), false);
    assert.equal(isDueForPurge(pending, t0 + 3 * DAY, 2), true, 'shortened to 2 days: due at the next run');
    assert.equal(isDueForPurge(pending, t0 + 8 * DAY, 30), false, 'lengthened to 30 days: not due yet');
    assert.equal(deletionDeadline(pending, 30)?.getTime(), t0 + 30 * DAY);
  });

  it('immediate deletion is due at once and can never be restored, whatever the delay', () => {
    const { member: pending, deleteAt } = scheduleDeletion(member(), t0, 7, { immediate: true });
    assert.equal(deleteAt.getTime(), t0);
    assert.equal(isDueForPurge(pending, t0, 365), true);
    assert.throws(
      () => restoreMember(pending, t0 - 1, 365),
      (e: unknown) => isDomainError(e, 'expired'),
    );
  });

  it('a pending deletion can be escalated to immediate but not scheduled twice', () => {
    const { member: pending } = scheduleDeletion(member(), t0);
    assert.throws(
      () => scheduleDeletion(pending, t0 + 1),
      (e: unknown) => isDomainError(e, 'conflict'),
    );
    assert.equal(isDueForPurge(scheduleDeletion(pending, t0 + DAY, 7, { immediate: true }).member, t0 + DAY, 7), true);
  });

  it('the owner cannot be deleted, and a deleted member cannot be scheduled again', () => {
    assert.throws(
      () => scheduleDeletion(member({ role: 'owner' }), t0),
      (e: unknown) => isDomainError(e, 'forbidden'),
    );
    assert.throws(
      () => scheduleDeletion(member({ status: 'deleted' }), t0),
      (e: unknown) => isDomainError(e, 'illegal_transition'),
    );
  });

  it('the delay is validated: whole days from 0 to 365', () => {
    assert.equal(parseDeletionDelayDays(0), 0);
    assert.equal(parseDeletionDelayDays(365), 365);
    for (const bad of [-1, 366, 1.5, '7', null]) {
      assert.throws(
        () => parseDeletionDelayDays(bad),
        (e: unknown) => isDomainError(e, 'validation'),
        String(bad),
      );
    }
  });

  it('markPurged refuses a member that is not due, and a purged member holds no usage', () => {
    const { member: pending } = scheduleDeletion(member(), t0);
    assert.throws(
      () => markPurged(pending, t0 + DAY, 7),
      (e: unknown) => isDomainError(e, 'illegal_transition'),
    );
    const purged = markPurged(pending, t0 + 7 * DAY, 7);
    assert.deepEqual([purged.status, purged.usageBytes], ['deleted', 0n]);
  });
});

describe('member deletion (M7): properties', () => {
  const scheduled = fc.record({
    status: fc.constantFrom('invited' as const, 'active' as const, 'disabled' as const),
    requestedAt: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
    scheduledWith: fc.integer({ min: 0, max: 365 }),
    currentDelay: fc.integer({ min: 0, max: 365 }),
  });

  it('restore at any moment before the deadline (under the current delay) brings the member back as it was', () => {
    fc.assert(
      fc.property(scheduled, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (s, fraction) => {
        const original = member({ status: s.status });
        const { member: pending } = scheduleDeletion(original, s.requestedAt, s.scheduledWith);
        const now = s.requestedAt + Math.floor(fraction * s.currentDelay * DAY);
        fc.pre(now < s.requestedAt + s.currentDelay * DAY);
        assert.deepEqual(restoreMember(pending, now, s.currentDelay), original);
        assert.deepEqual(selectDueForPurge([pending], now, s.currentDelay), []);
      }),
    );
  });

  it('at or after the deadline the purge always picks the member and restore is always refused', () => {
    fc.assert(
      fc.property(scheduled, fc.integer({ min: 0, max: 400 * DAY }), fc.boolean(), (s, late, immediate) => {
        const { member: pending } = scheduleDeletion(member({ status: s.status }), s.requestedAt, s.scheduledWith, {
          immediate,
        });
        const now = s.requestedAt + (immediate ? 0 : s.currentDelay * DAY) + late;
        assert.deepEqual(selectDueForPurge([member({ id: 'other' as MemberId }), pending], now, s.currentDelay), [
          pending,
        ]);
        assert.throws(
          () => restoreMember(pending, now, s.currentDelay),
          (e: unknown) => isDomainError(e, 'expired'),
        );
        assert.equal(markPurged(pending, now, s.currentDelay).status, 'deleted');
      }),
    );
  });
});
