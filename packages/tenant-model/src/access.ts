import { DomainError, memberNotFound, resourceNotFound } from './errors.ts';
import type { AccountId, ApiKeyId, InstanceId, MemberId, SessionId } from './ids.ts';
import {
  actorPermissions,
  permissionResources,
  type AccountActor,
  type Actor,
  type MemberActor,
  type Permission,
  type PermissionTarget,
} from './permissions.ts';

/**
 * The central access check, in the shape of Immich's utils/access.ts: every use case asks "may this actor
 * do P on these ids?" before touching data, and bulk operations act on the allowed subset only.
 *
 * The port is implemented over the database by the portal. Each method answers "which of these ids may this
 * party touch in this way" and returns a subset of the ids it was given. Tenancy lives in the port's keys:
 * a member id belongs to exactly one instance, so "owned by member M" never reaches across instances, and
 * member lookups are always scoped by the actor's instance.
 */
export interface AccessPort {
  readonly member: {
    /** Members of `instanceId` that are not deleted. */
    checkInstanceAccess(instanceId: InstanceId, memberIds: ReadonlySet<MemberId>): Promise<Set<MemberId>>;
  };
  readonly apiKey: {
    checkOwnerAccess(memberId: MemberId, apiKeyIds: ReadonlySet<ApiKeyId>): Promise<Set<ApiKeyId>>;
  };
  readonly session: {
    checkOwnerAccess(memberId: MemberId, sessionIds: ReadonlySet<SessionId>): Promise<Set<SessionId>>;
  };
  readonly instance: {
    /** Instances of the subscriptions this customer account owns. */
    checkAccountAccess(accountId: AccountId, instanceIds: ReadonlySet<InstanceId>): Promise<Set<InstanceId>>;
  };
}

// Resolvers work on plain strings: the permission table decides which id type arrives, and the branded
// types come back at the public boundary (checkAccess), where the permission ties them together.
type Ids = ReadonlySet<string>;
type Resolver<A extends Actor> = (port: AccessPort, actor: A, ids: Ids) => Promise<ReadonlySet<string>>;

function only(ids: Ids, id: string): Promise<ReadonlySet<string>> {
  return Promise.resolve(ids.has(id) ? new Set([id]) : new Set());
}

function everything(ids: Ids): Promise<ReadonlySet<string>> {
  return Promise.resolve(ids);
}

const self: Resolver<MemberActor> = (_port, actor, ids) => only(ids, actor.memberId);
const ownInstance: Resolver<MemberActor> = (_port, actor, ids) => only(ids, actor.instanceId);
const instanceMembers: Resolver<MemberActor> = (port, actor, ids) =>
  port.member.checkInstanceAccess(actor.instanceId, ids as ReadonlySet<MemberId>);
const none = (): Promise<ReadonlySet<string>> => Promise.resolve(new Set());

/** Whole table on purpose: adding a permission fails to compile until members get a rule (maybe `none`). */
const memberResolvers: Record<Permission, Resolver<MemberActor>> = {
  'member.read': instanceMembers,
  'member.create': ownInstance,
  'member.update': instanceMembers,
  'member.delete': instanceMembers,
  'profile.update': self,
  'apiKey.create': self,
  'apiKey.manage': (port, actor, ids) => port.apiKey.checkOwnerAccess(actor.memberId, ids as ReadonlySet<ApiKeyId>),
  'session.manage': (port, actor, ids) => port.session.checkOwnerAccess(actor.memberId, ids as ReadonlySet<SessionId>),
  'instance.settings': ownInstance,
  'tenant.read': none,
  'tenant.billing': none,
  'tenant.support': none,
  'tenant.delete': none,
  'staff.manage': none,
  'staff.audit': none,
  'credential.read': none,
  'credential.revoke': none,
  'logins.clear': none,
  'member.purge': none,
  'member.apiKey': none,
  'fleet.read': none,
  'fleet.upgrade': none,
};

/** Customers reach their own tenants; staff reach all (their actions are audited by the portal). */
const accountResolvers: Partial<Record<Permission, Resolver<AccountActor>>> = {
  'tenant.read': (port, actor, ids) =>
    actor.role === 'customer'
      ? port.instance.checkAccountAccess(actor.accountId, ids as ReadonlySet<InstanceId>)
      : everything(ids),
  'tenant.billing': (port, actor, ids) =>
    port.instance.checkAccountAccess(actor.accountId, ids as ReadonlySet<InstanceId>),
  'tenant.support': (_port, _actor, ids) => everything(ids),
  'tenant.delete': (_port, _actor, ids) => everything(ids),
  'member.read': (_port, _actor, ids) => everything(ids),
  'member.create': (_port, _actor, ids) => everything(ids),
  'member.update': (_port, _actor, ids) => everything(ids),
  'member.delete': (_port, _actor, ids) => everything(ids),
  'staff.manage': (_port, _actor, ids) => everything(ids),
  'staff.audit': (_port, _actor, ids) => everything(ids),
  'credential.read': (_port, _actor, ids) => everything(ids),
  'credential.revoke': (_port, _actor, ids) => everything(ids),
  'logins.clear': (_port, _actor, ids) => everything(ids),
  'member.purge': (_port, _actor, ids) => everything(ids),
  'member.apiKey': (_port, _actor, ids) => everything(ids),
  'fleet.read': (_port, _actor, ids) => everything(ids),
  'fleet.upgrade': (_port, _actor, ids) => everything(ids),
};

function resolve(port: AccessPort, actor: Actor, permission: Permission, ids: Ids): Promise<ReadonlySet<string>> {
  switch (actor.kind) {
    case 'member':
      return memberResolvers[permission](port, actor, ids);
    case 'account':
      return (accountResolvers[permission] ?? none)(port, actor, ids);
  }
}

/**
 * The allowed subset of `ids`, for bulk operations. Deny by default: a permission the actor's role lacks,
 * or one without a rule for this kind of actor, allows nothing.
 */
export async function checkAccess<P extends Permission>(
  port: AccessPort,
  actor: Actor,
  permission: P,
  ids: Iterable<PermissionTarget<P>>,
): Promise<Set<PermissionTarget<P>>> {
  const requested = new Set<string>(ids);
  if (requested.size === 0 || !actorPermissions(actor).has(permission)) return new Set();
  const granted = await resolve(port, actor, permission, requested);
  // A port that answers with ids nobody asked about must not widen access.
  return new Set([...granted].filter((id) => requested.has(id))) as Set<PermissionTarget<P>>;
}

/**
 * Throws unless every id is allowed. A permission the actor's role lacks is 'forbidden' (that says nothing
 * about any id); an id that is missing and an id that is not yours are both 'not_found' with the same message,
 * so a member of another instance cannot be told apart from nobody.
 */
export async function requireAccess<P extends Permission>(
  port: AccessPort,
  actor: Actor,
  permission: P,
  ids: Iterable<PermissionTarget<P>>,
): Promise<void> {
  if (!actorPermissions(actor).has(permission)) {
    throw new DomainError('forbidden', `Not allowed: ${permission}.`, { permission });
  }
  const requested = new Set(ids);
  const granted = await checkAccess(port, actor, permission, requested);
  for (const id of requested) {
    if (!granted.has(id)) {
      const resource = permissionResources[permission];
      throw resource === 'member' ? memberNotFound() : resourceNotFound(resource);
    }
  }
}
