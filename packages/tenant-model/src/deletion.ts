import { DomainError, validationError } from './errors.ts';
import type { Member } from './member.ts';

/**
 * Member deletion (SPEC M7, seed 000).
 *
 * The one rule: a pending member's deadline is `requestedAt + delay`, where `delay` is the instance's delay
 * *as configured when the deadline is evaluated* (by the midnight purge or by a restore request), not as it
 * was when deletion was requested. Only `requestedAt` is stored. Seed 000 says a changed delay "will be
 * evaluated at the next execution"; storing a fixed deadline would instead freeze the old delay for members
 * already pending. So lengthening the delay extends every pending deadline and shortening it brings them
 * forward. An immediate deletion has its deadline at `requestedAt` whatever the delay, and is never
 * restorable. "Due for purge" and "restorable" are exact complements for pending members.
 */
export const DEFAULT_DELETION_DELAY_DAYS = 7;
export const MIN_DELETION_DELAY_DAYS = 0;
export const MAX_DELETION_DELAY_DAYS = 365;
const DAY_MS = 86_400_000;

type DeletableMember = Pick<Member, 'role' | 'status' | 'deletion'>;

export function parseDeletionDelayDays(value: unknown, field = 'deletionDelayDays'): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_DELETION_DELAY_DAYS ||
    value > MAX_DELETION_DELAY_DAYS
  ) {
    throw validationError(
      field,
      `The deletion delay must be a whole number of days from ${MIN_DELETION_DELAY_DAYS} to ${MAX_DELETION_DELAY_DAYS}.`,
    );
  }
  return value;
}

function millis(at: Date | number): number {
  const ms = new Date(at).getTime();
  if (Number.isNaN(ms)) throw validationError('now', 'Not a valid point in time.');
  return ms;
}

/** The deadline under the current delay, or null when the member is not pending deletion. */
export function deletionDeadline(member: DeletableMember, delayDays: number): Date | null {
  if (member.status !== 'pending_deletion' || member.deletion === null) return null;
  const delay = member.deletion.immediate ? 0 : parseDeletionDelayDays(delayDays);
  return new Date(member.deletion.requestedAt.getTime() + delay * DAY_MS);
}

/**
 * Disables the member at once (sign-in refused; the caller revokes sessions) and records the request.
 * A member already pending may be escalated to immediate deletion, never the other way round.
 * Returns the deadline under today's delay, for display only: see the rule above.
 */
export function scheduleDeletion<T extends DeletableMember>(
  member: T,
  now: Date | number,
  delayDays: number = DEFAULT_DELETION_DELAY_DAYS,
  options: { readonly immediate?: boolean } = {},
): { member: T; deleteAt: Date } {
  parseDeletionDelayDays(delayDays);
  const immediate = options.immediate ?? false;
  const requestedAt = new Date(millis(now));
  if (member.role === 'owner') {
    throw new DomainError('forbidden', 'The owner cannot be deleted; cancel the subscription instead.', {
      field: 'memberId',
    });
  }
  if (member.status === 'deleted')
    throw new DomainError('illegal_transition', 'This member is already deleted.', { field: 'status' });
  let scheduled: T;
  if (member.status === 'pending_deletion' && member.deletion !== null) {
    if (!immediate)
      throw new DomainError('conflict', 'This member is already scheduled for deletion.', { field: 'status' });
    scheduled = { ...member, deletion: { ...member.deletion, requestedAt, immediate: true } };
  } else if (member.status === 'pending_deletion') {
    throw new DomainError('illegal_transition', 'A member pending deletion must carry its deletion request.', {
      field: 'deletion',
    });
  } else {
    scheduled = {
      ...member,
      status: 'pending_deletion',
      deletion: { requestedAt, immediate, previousStatus: member.status },
    };
  }
  return { member: scheduled, deleteAt: deletionDeadline(scheduled, delayDays) ?? requestedAt };
}

export function isDueForPurge(member: DeletableMember, now: Date | number, delayDays: number): boolean {
  const deadline = deletionDeadline(member, delayDays);
  return deadline !== null && millis(now) >= deadline.getTime();
}

/** Restores the status the member had before deletion was requested; allowed strictly before the deadline. */
export function restoreMember<T extends DeletableMember>(member: T, now: Date | number, delayDays: number): T {
  if (member.status !== 'pending_deletion' || member.deletion === null) {
    throw new DomainError('illegal_transition', 'Only a member scheduled for deletion can be restored.', {
      field: 'status',
    });
  }
  if (member.deletion.immediate) {
    throw new DomainError('expired', 'An immediate deletion cannot be undone.', { field: 'memberId' });
  }
  if (isDueForPurge(member, now, delayDays)) {
    throw new DomainError('expired', 'The restore deadline has passed; the member is being removed.', {
      field: 'memberId',
    });
  }
  return { ...member, status: member.deletion.previousStatus, deletion: null };
}

/** What the midnight job removes: every member whose deadline, under the delay read now, has passed. */
export function selectDueForPurge<T extends DeletableMember>(
  members: readonly T[],
  now: Date | number,
  delayDays: number,
): T[] {
  parseDeletionDelayDays(delayDays);
  return members.filter((member) => isDueForPurge(member, now, delayDays));
}

/** After the purge job removed the member's data; their usage no longer counts against the plan. */
export function markPurged<T extends DeletableMember & Pick<Member, 'usageBytes'>>(
  member: T,
  now: Date | number,
  delayDays: number,
): T {
  if (!isDueForPurge(member, now, delayDays)) {
    throw new DomainError('illegal_transition', 'This member is not due for removal.', { field: 'status' });
  }
  return { ...member, status: 'deleted', usageBytes: 0n };
}
