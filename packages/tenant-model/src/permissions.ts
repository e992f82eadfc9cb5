import { DomainError, validationError } from './errors.ts';
import type { AccountId, ApiKeyId, InstanceId, MemberId, SessionId } from './ids.ts';
import { memberCanSignIn, type Member, type MemberRole } from './member.ts';

/** Portal accounts: customers pay; support and superadmin are the operator's staff (SPEC actors). */
export const accountRoles = ['customer', 'support', 'superadmin'] as const;
export type AccountRole = (typeof accountRoles)[number];

export function parseAccountRole(input: unknown, field = 'role'): AccountRole {
  if (typeof input === 'string' && (accountRoles as readonly string[]).includes(input)) return input as AccountRole;
  throw validationError(field, `The role must be one of ${accountRoles.join(', ')}.`);
}

/** Which kind of id each permission is checked against. */
export interface ResourceIds {
  readonly account: AccountId;
  readonly instance: InstanceId;
  readonly member: MemberId;
  readonly apiKey: ApiKeyId;
  readonly session: SessionId;
}
export type Resource = keyof ResourceIds;

/**
 * Every permission with the resource its ids name. Creating something is checked against the place it is
 * created in: a member's own library (their MemberId) or an instance, so every check has ids to test.
 */
export const permissionResources = {
  'member.read': 'member',
  'member.create': 'instance',
  'member.update': 'member',
  'member.delete': 'member',
  'profile.update': 'member',
  'apiKey.create': 'member',
  'apiKey.manage': 'apiKey',
  'session.manage': 'session',
  'instance.settings': 'instance',
  'tenant.read': 'instance',
  'tenant.billing': 'instance',
  'tenant.support': 'instance',
  'tenant.delete': 'instance',
  /** Staff accounts: add, list, remove, change role, and their sessions (SPEC A6). */
  'staff.manage': 'account',
  /** Read the audit log of staff actions (SPEC A5). */
  'staff.audit': 'account',
  /** Read sign-in history, sessions and API keys across the fleet (SPEC A2, A3). */
  'credential.read': 'session',
  /** Revoke a member's or a customer's sessions and API keys (never a staff account's: that is staff.manage). */
  'credential.revoke': 'session',
  /** Clear the whole sign-in history (the evidence of an attack, so not for everyday support). */
  'logins.clear': 'account',
  /** Delete a member at once rather than after the instance's delay (irreversible). */
  'member.purge': 'member',
  /** Mint a personal API key for a member (acts as that member: an impersonation tool). */
  'member.apiKey': 'member',
  /** See fleet upgrades and how far each got (SPEC F3). */
  'fleet.read': 'account',
  /** Start, pause, resume and cancel a fleet upgrade: every customer's instance at once (SPEC F3). */
  'fleet.upgrade': 'account',
} as const satisfies Record<string, Resource>;

export type Permission = keyof typeof permissionResources;
export type PermissionTarget<P extends Permission> = ResourceIds[(typeof permissionResources)[P]];
export const permissions = Object.keys(permissionResources) as Permission[];

const libraryPermissions = [
  'profile.update',
  'apiKey.create',
  'apiKey.manage',
  'session.manage',
] as const satisfies readonly Permission[];

const administration = ['member.read', 'member.create', 'member.update', 'member.delete', 'instance.settings'] as const;

/**
 * Owner and admin hold the same permissions; what sets the owner apart (cannot be deleted, disabled or
 * demoted) is a rule on the target, in member.ts and deletion.ts. Viewers read their own library and what
 * is shared with them; guests only what is shared with them (they cannot even list members).
 */
export const memberRolePermissions: Readonly<Record<MemberRole, ReadonlySet<Permission>>> = {
  owner: new Set([...libraryPermissions, ...administration]),
  admin: new Set([...libraryPermissions, ...administration]),
  user: new Set([...libraryPermissions, 'member.read']),
  viewer: new Set(['member.read', 'profile.update', 'apiKey.create', 'apiKey.manage', 'session.manage']),
  guest: new Set(['profile.update', 'session.manage']),
};

/** What only the operator's staff may hold; no customer, member or link ever does (property-tested). */
export const staffPermissions = [
  'tenant.support',
  'tenant.delete',
  'staff.manage',
  'staff.audit',
  'credential.read',
  'credential.revoke',
  'logins.clear',
  'member.purge',
  'member.apiKey',
  'fleet.read',
  'fleet.upgrade',
] as const satisfies readonly Permission[];

/**
 * Least privilege for staff (SPEC A6). `support` does the everyday work: reads everything, suspends, resumes and
 * reprovisions, adds and changes members (on the owner's request), resets a member's password, revokes a member's
 * or customer's sessions, turns a member's two-factor off, schedules a member's deletion. What cannot be undone or
 * acts as someone else is `superadmin`'s alone: deleting tenants, purging members at once, clearing the sign-in
 * history, managing staff accounts (their sessions included), minting API keys for members, and upgrading the
 * whole fleet (support may watch a rollout). Staff hold no library
 * permission: support never browses a customer's photos through this model.
 */
const supportPermissions = [
  'tenant.read',
  'tenant.support',
  'member.read',
  'member.create',
  'member.update',
  'member.delete',
  'staff.audit',
  'credential.read',
  'credential.revoke',
  'fleet.read',
] as const satisfies readonly Permission[];

export const accountRolePermissions: Readonly<Record<AccountRole, ReadonlySet<Permission>>> = {
  customer: new Set(['tenant.read', 'tenant.billing']),
  support: new Set(supportPermissions),
  superadmin: new Set([
    ...supportPermissions,
    'tenant.delete',
    'member.purge',
    'logins.clear',
    'staff.manage',
    'member.apiKey',
    'fleet.upgrade',
  ]),
};

/** Staff roles: the accounts the support area is for. */
export function isStaffRole(role: AccountRole): boolean {
  return role === 'support' || role === 'superadmin';
}

export interface MemberActor {
  readonly kind: 'member';
  readonly memberId: MemberId;
  readonly instanceId: InstanceId;
  readonly role: MemberRole;
}

export interface AccountActor {
  readonly kind: 'account';
  readonly accountId: AccountId;
  readonly role: AccountRole;
}

export type Actor = MemberActor | AccountActor;

/** Sessions and API keys act as their member (U3: keys are personal), and only while they may sign in. */
export function memberActor(member: Pick<Member, 'id' | 'instanceId' | 'role' | 'status'>): MemberActor {
  if (!memberCanSignIn(member)) throw new DomainError('unauthenticated', 'This account cannot sign in.', {});
  return { kind: 'member', memberId: member.id, instanceId: member.instanceId, role: member.role };
}

export function accountActor(accountId: AccountId, role: AccountRole): AccountActor {
  return { kind: 'account', accountId, role };
}

export function actorPermissions(actor: Actor): ReadonlySet<Permission> {
  switch (actor.kind) {
    case 'member':
      return memberRolePermissions[actor.role];
    case 'account':
      return accountRolePermissions[actor.role];
  }
}

export function hasPermission(actor: Actor, permission: Permission): boolean {
  return actorPermissions(actor).has(permission);
}
