import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accountActor,
  accountRolePermissions,
  accountRoles,
  hasPermission,
  memberActor,
  memberRolePermissions,
  permissionResources,
  permissions,
  staffPermissions,
  type Permission,
} from './permissions.ts';
import { memberRoles } from './member.ts';
import { isDomainError } from './errors.ts';
import type { AccountId, InstanceId, MemberId } from './ids.ts';

// Sharing (albums, assets, partners, links) lives in the photo app, which checks it itself (issue 14); what the
// control plane grants members is their own account: profile, API keys, sessions.
const accountWrites = ['apiKey.create', 'apiKey.manage'] as const;
const administration = ['member.create', 'member.update', 'member.delete', 'instance.settings'] as const;

describe('permissions', () => {
  it('every permission names a resource kind its ids are checked against', () => {
    assert.equal(permissions.length, Object.keys(permissionResources).length);
    assert.ok(permissions.every((p) => typeof permissionResources[p] === 'string'));
  });

  it('owner and admin administer the instance; user, viewer and guest do not', () => {
    for (const role of memberRoles) {
      const expected = role === 'owner' || role === 'admin';
      for (const permission of administration)
        assert.equal(memberRolePermissions[role].has(permission), expected, `${role} ${permission}`);
    }
  });

  it('guests cannot make API keys or even list members; users and viewers can', () => {
    for (const permission of accountWrites) {
      assert.equal(memberRolePermissions.guest.has(permission), false, `guest ${permission}`);
      assert.ok(memberRolePermissions.viewer.has(permission), permission);
      assert.ok(memberRolePermissions.user.has(permission), permission);
    }
    assert.equal(memberRolePermissions.viewer.has('member.read'), true);
    assert.equal(memberRolePermissions.guest.has('member.read'), false);
    for (const role of memberRoles) assert.ok(memberRolePermissions[role].has('session.manage'), role);
  });

  it('no instance role holds a portal (tenant or staff) permission', () => {
    for (const role of memberRoles) {
      for (const permission of memberRolePermissions[role]) {
        assert.ok(!/^(tenant|staff)\./.test(permission), `${role} ${permission}`);
        assert.ok(!(staffPermissions as readonly string[]).includes(permission), `${role} ${permission}`);
      }
    }
  });

  it('staff never hold library permissions, customers hold only their own tenant permissions', () => {
    for (const role of ['customer', 'support', 'superadmin'] as const) {
      for (const permission of accountRolePermissions[role])
        assert.ok(/^(tenant|member|staff|credential|logins|fleet)\./.test(permission), `${role} ${permission}`);
    }
    assert.deepEqual([...accountRolePermissions.customer].sort(), ['tenant.billing', 'tenant.read']);
    assert.equal(accountRolePermissions.support.has('tenant.delete'), false);
    assert.equal(accountRolePermissions.superadmin.has('tenant.delete'), true);
  });

  it('only an active member becomes an actor', () => {
    const base = { id: 'm' as MemberId, instanceId: 'i' as InstanceId, role: 'user' as const };
    assert.equal(memberActor({ ...base, status: 'active' }).kind, 'member');
    for (const status of ['invited', 'disabled', 'pending_deletion', 'deleted'] as const) {
      assert.throws(
        () => memberActor({ ...base, status }),
        (e: unknown) => isDomainError(e, 'unauthenticated'),
        status,
      );
    }
    assert.equal(accountActor('acc' as AccountId, 'support').role, 'support');
  });

  it('the support area (tenants of others, audit log, sign-ins of anyone) belongs to staff roles and no one else', () => {
    const staffOnly = ['tenant.support', 'staff.audit', 'credential.read', 'credential.revoke'] as const;
    const actors = fc.oneof(
      fc.constantFrom(...accountRoles).map((role) => accountActor('acc' as AccountId, role)),
      fc
        .constantFrom(...memberRoles)
        .map((role) => memberActor({ id: 'm' as MemberId, instanceId: 'i' as InstanceId, role, status: 'active' })),
    );
    fc.assert(
      fc.property(actors, fc.constantFrom(...staffOnly), (actor, permission) => {
        const staff = actor.kind === 'account' && (actor.role === 'support' || actor.role === 'superadmin');
        assert.equal(hasPermission(actor, permission), staff, `${actor.kind} ${permission}`);
      }),
    );
    // Removing a tenant stays with superadmin; support suspends, resumes and reprovisions.
    assert.equal(hasPermission(accountActor('acc' as AccountId, 'support'), 'tenant.delete'), false);
  });

  it('least privilege (A6): support does everyday work; what cannot be undone or impersonates is superadmin-only', () => {
    // The exact table, written out: a permission added to a role by accident fails here.
    const expected: Record<'support' | 'superadmin', readonly Permission[]> = {
      support: [
        'credential.read',
        'credential.revoke',
        'fleet.read',
        'member.create',
        'member.delete',
        'member.read',
        'member.update',
        'staff.audit',
        'tenant.read',
        'tenant.support',
      ],
      superadmin: [
        'credential.read',
        'credential.revoke',
        'fleet.read',
        'fleet.upgrade',
        'logins.clear',
        'member.apiKey',
        'member.create',
        'member.delete',
        'member.purge',
        'member.read',
        'member.update',
        'staff.audit',
        'staff.manage',
        'tenant.delete',
        'tenant.read',
        'tenant.support',
      ],
    };
    assert.deepEqual([...accountRolePermissions.support].sort(), expected.support);
    assert.deepEqual([...accountRolePermissions.superadmin].sort(), expected.superadmin);
    const superadminOnly = [
      'tenant.delete',
      'member.purge',
      'logins.clear',
      'staff.manage',
      'member.apiKey',
      'fleet.upgrade',
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...accountRoles), fc.constantFrom(...permissions), (role, permission) => {
        const actor = accountActor('acc' as AccountId, role);
        const granted = hasPermission(actor, permission);
        // superadmin holds everything support holds, and support nothing superadmin-only.
        if (role === 'support' && granted)
          assert.ok(hasPermission(accountActor('a' as AccountId, 'superadmin'), permission));
        if ((superadminOnly as readonly Permission[]).includes(permission))
          assert.equal(granted, role === 'superadmin', `${role} ${permission}`);
        if ((staffPermissions as readonly Permission[]).includes(permission) && role === 'customer')
          assert.equal(granted, false, `customer ${permission}`);
      }),
    );
  });
});
