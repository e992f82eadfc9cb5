import { DomainError, validationError } from './errors.ts';
import type { InstanceId, InvitationId, MemberId } from './ids.ts';
import { gibToBytes, BYTES_PER_GIB } from './plan.ts';
import { nextState, type TransitionTable } from './state-machine.ts';

/** Roles inside one instance. `owner` is the customer (SPEC M1); the others follow PhotoPrism's roles. */
export const memberRoles = ['owner', 'admin', 'user', 'viewer', 'guest'] as const;
export type MemberRole = (typeof memberRoles)[number];

export const memberStatuses = ['invited', 'active', 'disabled', 'pending_deletion', 'deleted'] as const;
export type MemberStatus = (typeof memberStatuses)[number];

/** Recorded when deletion is requested; the deadline is derived from it, see deletion.ts. */
export interface PendingDeletion {
  readonly requestedAt: Date;
  readonly immediate: boolean;
  readonly previousStatus: 'invited' | 'active' | 'disabled';
}

export interface Member {
  readonly id: MemberId;
  /** Exactly one instance; the same e-mail elsewhere is an unrelated member (SPEC tenancy rules). */
  readonly instanceId: InstanceId;
  readonly email: string;
  readonly name: string;
  readonly role: MemberRole;
  readonly status: MemberStatus;
  /** null = unlimited (quota 0 GiB in the UI): draws from whatever the plan has left. */
  readonly quotaBytes: bigint | null;
  readonly usageBytes: bigint;
  readonly storageLabel: string | null;
  readonly mustChangePassword: boolean;
  readonly deletion: PendingDeletion | null;
}

const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
// Deliberately simple: the invitation e-mail is the real test of an address; this only keeps out
// values that cannot be an address at all or that would break headers.
const EMAIL_PATTERN = /^[^\s@"<>(),;:\\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

export function normaliseEmail(input: string): string {
  return input.trim().toLowerCase();
}

/** Trim + lowercase, then validate; the normalised form is what uniqueness within an instance compares. */
export function parseEmail(input: unknown, field = 'email'): string {
  if (typeof input !== 'string') throw validationError(field, 'The e-mail address must be text.');
  const email = normaliseEmail(input);
  const localPart = email.slice(0, email.lastIndexOf('@'));
  if (email.length > MAX_EMAIL_LENGTH || localPart.length > MAX_LOCAL_PART_LENGTH || !EMAIL_PATTERN.test(email)) {
    throw validationError(field, `'${input.trim()}' is not a valid e-mail address.`, 'format');
  }
  return email;
}

const MAX_NAME_LENGTH = 100;

export function parseMemberName(input: unknown, field = 'name'): string {
  if (typeof input !== 'string' || input.trim().length === 0)
    throw validationError(field, 'The name must not be empty.');
  const name = input.trim();
  if (name.length > MAX_NAME_LENGTH)
    throw validationError(field, `The name must be at most ${MAX_NAME_LENGTH} characters.`);
  return name;
}

const MAX_STORAGE_LABEL_LENGTH = 64;

/**
 * SPEC M5. The label replaces the member id in `upload/<label>/...`, so it must be one harmless path
 * segment: no separators, no leading dot (hidden files, '.' and '..'), lowercase so two labels never
 * collide on a case-insensitive file system.
 */
export function parseStorageLabel(input: unknown, field = 'storageLabel'): string {
  if (typeof input !== 'string') throw validationError(field, 'The storage label must be text.');
  const label = input.trim().toLowerCase();
  if (label.length === 0) throw validationError(field, 'The storage label must not be empty.', 'required');
  if (label.length > MAX_STORAGE_LABEL_LENGTH) {
    throw validationError(field, `The storage label must be at most ${MAX_STORAGE_LABEL_LENGTH} characters.`, 'length');
  }
  if (!/^[a-z0-9._-]+$/.test(label)) {
    throw validationError(field, "The storage label may only contain a-z, 0-9, '.', '_' and '-'.", 'charset');
  }
  if (label.startsWith('.')) throw validationError(field, "The storage label must not start with '.'.", 'leading_dot');
  return label;
}

/** SPEC M4 / seed 000: quota in whole GiB, 0 meaning unlimited (null). */
export function quotaFromGib(gib: number | null | undefined, field = 'quotaGib'): bigint | null {
  if (gib === null || gib === undefined || gib === 0) return null;
  return gibToBytes(gib, field);
}

export function quotaToGib(quotaBytes: bigint | null): number {
  return quotaBytes === null ? 0 : Number(quotaBytes / BYTES_PER_GIB);
}

export function parseMemberRole(input: unknown, field = 'role'): MemberRole {
  if (typeof input === 'string' && (memberRoles as readonly string[]).includes(input)) return input as MemberRole;
  throw validationError(field, `The role must be one of ${memberRoles.join(', ')}.`);
}

export interface NewMemberInput {
  readonly id: MemberId;
  readonly instanceId: InstanceId;
  readonly email: unknown;
  readonly name: unknown;
  readonly role?: unknown;
  readonly quotaGib?: number | null;
  readonly storageLabel?: unknown;
  /** SPEC M3: true when the owner set an initial password (the member is active at once). */
  readonly initialPassword?: boolean;
  readonly mustChangePassword?: boolean;
}

/**
 * A validated new member. The role defaults to 'user'; 'owner' is refused because an instance gets its
 * owner only at provisioning (createOwner), and a second owner would blur who pays.
 */
export function createMember(input: NewMemberInput): Member {
  const role = input.role === undefined ? 'user' : parseMemberRole(input.role);
  if (role === 'owner')
    throw validationError('role', 'An instance has exactly one owner; choose another role.', 'single_owner');
  return buildMember(input, role);
}

/** SPEC M1: the customer becomes the instance's first member and its admin. */
export function createOwner(input: Omit<NewMemberInput, 'role' | 'initialPassword' | 'mustChangePassword'>): Member {
  return buildMember({ ...input, initialPassword: true, mustChangePassword: false }, 'owner');
}

function buildMember(input: NewMemberInput, role: MemberRole): Member {
  const initialPassword = input.initialPassword ?? false;
  return {
    id: input.id,
    instanceId: input.instanceId,
    email: parseEmail(input.email),
    name: parseMemberName(input.name),
    role,
    status: initialPassword ? 'active' : 'invited',
    quotaBytes: quotaFromGib(input.quotaGib),
    usageBytes: 0n,
    storageLabel:
      input.storageLabel === undefined || input.storageLabel === null ? null : parseStorageLabel(input.storageLabel),
    // Seed 000: "require user to change password on first login" is checked by default.
    mustChangePassword: initialPassword ? (input.mustChangePassword ?? true) : false,
    deletion: null,
  };
}

/** E-mail and storage label are unique per instance; other instances are none of our business. */
export function checkMemberUnique(
  members: readonly Pick<Member, 'id' | 'instanceId' | 'email' | 'storageLabel' | 'status'>[],
  candidate: Pick<Member, 'id' | 'instanceId' | 'email' | 'storageLabel'>,
): void {
  for (const other of members) {
    if (other.id === candidate.id || other.instanceId !== candidate.instanceId || other.status === 'deleted') continue;
    if (other.email === candidate.email) {
      throw new DomainError('conflict', 'A member with this e-mail address already exists.', { field: 'email' });
    }
    if (candidate.storageLabel !== null && other.storageLabel === candidate.storageLabel) {
      throw new DomainError('conflict', 'Another member already uses this storage label.', { field: 'storageLabel' });
    }
  }
}

/** SPEC M7: a member scheduled for deletion is refused at once, as are disabled and invited ones. */
export function memberCanSignIn(member: Pick<Member, 'status'>): boolean {
  return member.status === 'active';
}

/** The owner stays owner: demoting or disabling them would leave the instance without its admin. */
export function changeMemberRole(member: Member, role: MemberRole): Member {
  if (member.role === 'owner' || role === 'owner') {
    throw new DomainError('forbidden', 'The owner role cannot be given or taken away.', { field: 'role' });
  }
  return { ...member, role };
}

export function setMemberDisabled(member: Member, disabled: boolean): Member {
  if (member.role === 'owner') throw new DomainError('forbidden', 'The owner cannot be disabled.', { field: 'status' });
  if (member.status === 'pending_deletion' || member.status === 'deleted') {
    throw new DomainError(
      'illegal_transition',
      `A member in status '${member.status}' cannot be enabled or disabled.`,
      {
        field: 'status',
      },
    );
  }
  if (disabled) return { ...member, status: 'disabled' };
  return member.status === 'disabled' ? { ...member, status: 'active' } : member;
}

// ---- Invitations (SPEC M2) ----

export const invitationStates = ['pending', 'accepted', 'revoked', 'expired'] as const;
export type InvitationState = (typeof invitationStates)[number];
export const invitationEvents = ['accept', 'revoke', 'expire'] as const;
export type InvitationEvent = (typeof invitationEvents)[number];

export const invitationTransitions = {
  pending: { accept: 'accepted', revoke: 'revoked', expire: 'expired' },
  accepted: {},
  revoked: {},
  expired: {},
} as const satisfies TransitionTable<InvitationState, InvitationEvent>;

export const DEFAULT_INVITATION_TTL_HOURS = 72;

export interface Invitation {
  readonly id: InvitationId;
  readonly instanceId: InstanceId;
  readonly memberId: MemberId;
  readonly email: string;
  readonly state: InvitationState;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export function createInvitation(input: {
  id: InvitationId;
  member: Pick<Member, 'id' | 'instanceId' | 'email' | 'status'>;
  now: Date | number;
  ttlHours?: number;
}): Invitation {
  const ttlHours = input.ttlHours ?? DEFAULT_INVITATION_TTL_HOURS;
  if (!Number.isInteger(ttlHours) || ttlHours < 1 || ttlHours > 24 * 30) {
    throw validationError('ttlHours', 'An invitation lives between 1 hour and 30 days.');
  }
  if (input.member.status !== 'invited') {
    throw new DomainError('conflict', 'Only a member who has not signed up yet can be invited.', { field: 'memberId' });
  }
  const createdAt = new Date(input.now);
  return {
    id: input.id,
    instanceId: input.member.instanceId,
    memberId: input.member.id,
    email: input.member.email,
    state: 'pending',
    createdAt,
    expiresAt: new Date(createdAt.getTime() + ttlHours * 3_600_000),
  };
}

/** The state an invitation is really in at `now`: a pending one past its expiry counts as expired. */
export function invitationStateAt(invitation: Invitation, now: Date | number): InvitationState {
  if (invitation.state === 'pending' && new Date(now).getTime() >= invitation.expiresAt.getTime()) return 'expired';
  return invitation.state;
}

export function transitionInvitation(from: InvitationState, event: InvitationEvent): InvitationState {
  return nextState<InvitationState, InvitationEvent>('invitation', invitationTransitions, from, event);
}

const NO_SUCH_INVITATION = 'No such invitation';

/**
 * Accepting at the given instance (the subdomain the link was opened on). An invitation of another instance,
 * a revoked one and an unknown token all read "No such invitation"; an expired or used one says so, since
 * the invitee can then ask for a new one.
 */
export function acceptInvitation(
  invitation: Invitation,
  context: { instanceId: InstanceId; now: Date | number; email?: string },
): Invitation {
  const notFound = new DomainError('not_found', NO_SUCH_INVITATION, { field: 'token' });
  if (invitation.instanceId !== context.instanceId) throw notFound;
  if (context.email !== undefined && normaliseEmail(context.email) !== invitation.email) throw notFound;
  const state = invitationStateAt(invitation, context.now);
  if (state === 'revoked') throw notFound;
  if (state === 'expired')
    throw new DomainError('expired', 'This invitation has expired; ask for a new one.', { field: 'token' });
  if (state === 'accepted')
    throw new DomainError('conflict', 'This invitation has already been used.', { field: 'token' });
  return { ...invitation, state: transitionInvitation(state, 'accept') };
}

export function revokeInvitation(invitation: Invitation, now: Date | number): Invitation {
  return { ...invitation, state: transitionInvitation(invitationStateAt(invitation, now), 'revoke') };
}
