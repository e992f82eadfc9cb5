import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptInvitation,
  changeMemberRole,
  checkMemberUnique,
  createInvitation,
  createMember,
  createOwner,
  invitationStateAt,
  memberCanSignIn,
  parseEmail,
  parseStorageLabel,
  quotaFromGib,
  quotaToGib,
  revokeInvitation,
  setMemberDisabled,
  type Member,
} from './member.ts';
import { DomainError, isDomainError, type DomainErrorCode } from './errors.ts';
import { BYTES_PER_GIB } from './plan.ts';
import type { InstanceId, InvitationId, MemberId } from './ids.ts';

const instanceA = 'inst-a' as InstanceId;
const instanceB = 'inst-b' as InstanceId;

function code(fn: () => unknown): DomainErrorCode {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return error.code;
  }
  assert.fail('expected a DomainError');
}

function member(overrides: Partial<Member> = {}): Member {
  return {
    ...createMember({ id: 'm1' as MemberId, instanceId: instanceA, email: 'ann@example.com', name: 'Ann' }),
    ...overrides,
  };
}

describe('members', () => {
  it('e-mail is trimmed and lowercased, then validated', () => {
    assert.equal(parseEmail('  Ann.Smith+photos@Example.COM '), 'ann.smith+photos@example.com');
    for (const bad of ['', 'ann', 'ann@', '@example.com', 'ann@example', 'a n@example.com', 'ann@exa_mple.com', 42]) {
      assert.equal(
        code(() => parseEmail(bad)),
        'validation',
        String(bad),
      );
    }
  });

  it('storage label (M5) is one safe path segment: lowercase a-z 0-9 . _ -, no separators, no leading dot', () => {
    assert.equal(parseStorageLabel(' Ann_2024 '), 'ann_2024');
    assert.equal(parseStorageLabel('ann.smith'), 'ann.smith');
    for (const bad of ['', '..', '.hidden', 'a/b', 'a\\b', '../x', 'é', 'x'.repeat(65)]) {
      assert.equal(
        code(() => parseStorageLabel(bad)),
        'validation',
        bad,
      );
    }
  });

  it('quota 0 GiB means unlimited (null); other whole GiB become bytes; fractions are refused', () => {
    assert.equal(quotaFromGib(0), null);
    assert.equal(quotaFromGib(undefined), null);
    assert.equal(quotaFromGib(50), 50n * BYTES_PER_GIB);
    assert.equal(quotaToGib(quotaFromGib(50)), 50);
    assert.equal(quotaToGib(null), 0);
    assert.equal(
      code(() => quotaFromGib(0.5)),
      'validation',
    );
    assert.equal(
      code(() => quotaFromGib(-1)),
      'validation',
    );
  });

  it('M2/M3: an invited member waits; with an initial password the member is active and must change it by default', () => {
    const invited = member();
    assert.equal(invited.status, 'invited');
    assert.equal(invited.role, 'user');
    assert.equal(memberCanSignIn(invited), false);
    const withPassword = createMember({
      id: 'm2' as MemberId,
      instanceId: instanceA,
      email: 'b@example.com',
      name: 'B',
      initialPassword: true,
    });
    assert.equal(withPassword.status, 'active');
    assert.equal(withPassword.mustChangePassword, true);
    const unchecked = createMember({
      id: 'm3' as MemberId,
      instanceId: instanceA,
      email: 'c@example.com',
      name: 'C',
      initialPassword: true,
      mustChangePassword: false,
    });
    assert.equal(unchecked.mustChangePassword, false);
  });

  it('M1: the owner is created active as owner; nobody else can be made owner and the owner cannot be demoted or disabled', () => {
    const owner = createOwner({ id: 'o' as MemberId, instanceId: instanceA, email: 'o@example.com', name: 'Olga' });
    assert.equal(owner.role, 'owner');
    assert.equal(owner.status, 'active');
    assert.equal(
      code(() =>
        createMember({ id: 'x' as MemberId, instanceId: instanceA, email: 'x@example.com', name: 'X', role: 'owner' }),
      ),
      'validation',
    );
    assert.equal(
      code(() => changeMemberRole(owner, 'user')),
      'forbidden',
    );
    assert.equal(
      code(() => changeMemberRole(member(), 'owner')),
      'forbidden',
    );
    assert.equal(changeMemberRole(member(), 'viewer').role, 'viewer');
    assert.equal(
      code(() => setMemberDisabled(owner, true)),
      'forbidden',
    );
  });

  it('disabling refuses sign-in and enabling restores it', () => {
    const active = member({ status: 'active' });
    const disabled = setMemberDisabled(active, true);
    assert.equal(memberCanSignIn(disabled), false);
    assert.equal(memberCanSignIn(setMemberDisabled(disabled, false)), true);
  });

  it('e-mail and storage label are unique within an instance only', () => {
    const ann = member({ storageLabel: 'ann' });
    const sameEmail = { id: 'm2' as MemberId, instanceId: instanceA, email: 'ann@example.com', storageLabel: null };
    assert.equal(
      code(() => checkMemberUnique([ann], sameEmail)),
      'conflict',
    );
    assert.equal(
      code(() => checkMemberUnique([ann], { ...sameEmail, email: 'z@example.com', storageLabel: 'ann' })),
      'conflict',
    );
    checkMemberUnique([ann], { ...sameEmail, instanceId: instanceB });
    checkMemberUnique([ann], { ...ann });
  });
});

describe('invitations', () => {
  const now = Date.UTC(2025, 5, 1);
  const invitation = createInvitation({ id: 'inv' as InvitationId, member: member(), now });

  it('is bound to the instance and e-mail, and expires after the TTL (72 hours by default)', () => {
    assert.equal(invitation.instanceId, instanceA);
    assert.equal(invitation.email, 'ann@example.com');
    assert.equal(invitation.expiresAt.getTime() - now, 72 * 3_600_000);
    assert.equal(invitationStateAt(invitation, now + 72 * 3_600_000 - 1), 'pending');
    assert.equal(invitationStateAt(invitation, now + 72 * 3_600_000), 'expired');
  });

  it('accepting before expiry at the right instance succeeds once', () => {
    const accepted = acceptInvitation(invitation, {
      instanceId: instanceA,
      now: now + 1000,
      email: ' ANN@example.com',
    });
    assert.equal(accepted.state, 'accepted');
    assert.equal(
      code(() => acceptInvitation(accepted, { instanceId: instanceA, now: now + 2000 })),
      'conflict',
    );
  });

  it('an invitation of another instance, for another e-mail or revoked reads exactly like an unknown one', () => {
    const errors = [
      () => acceptInvitation(invitation, { instanceId: instanceB, now }),
      () => acceptInvitation(invitation, { instanceId: instanceA, now, email: 'eve@example.com' }),
      () => acceptInvitation(revokeInvitation(invitation, now), { instanceId: instanceA, now }),
    ].map((fn) => {
      try {
        fn();
      } catch (error) {
        return error instanceof DomainError ? { code: error.code, message: error.message } : error;
      }
      return 'accepted';
    });
    assert.deepEqual(errors, Array(3).fill({ code: 'not_found', message: 'No such invitation' }));
  });

  it('accepting after expiry is refused as expired, and an expired invitation cannot be revoked', () => {
    const later = invitation.expiresAt.getTime();
    assert.throws(
      () => acceptInvitation(invitation, { instanceId: instanceA, now: later }),
      (e: unknown) => isDomainError(e, 'expired'),
    );
    assert.throws(
      () => revokeInvitation(invitation, later),
      (e: unknown) => isDomainError(e, 'illegal_transition'),
    );
  });

  it('only a member who has not signed up yet can be invited', () => {
    assert.equal(
      code(() => createInvitation({ id: 'i2' as InvitationId, member: member({ status: 'active' }), now })),
      'conflict',
    );
  });
});
