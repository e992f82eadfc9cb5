// Activities of the subscription workflow (SPEC P5-P8): read what the workflow starts from, and write each state
// change to the subscription's row. The workflow owns the state; these only persist it, idempotently, so a retried
// or replayed activity converges instead of failing on a transition it already made.
import { recordAudit, type PrismaClient } from '@photoplane/db';
import {
  DomainError,
  transitionSubscription,
  type InstanceState,
  type SubscriptionEvent,
  type SubscriptionState,
} from '@photoplane/tenant-model';
import type { HoldKind } from '../contracts/index.ts';
import { withPermanentErrors } from './errors.ts';

export interface SubscriptionActivityDeps {
  prisma: PrismaClient;
}

export interface SubscriptionSnapshot {
  state: SubscriptionState;
  instance: { id: string; state: InstanceState } | null;
  owner: { email: string; name: string };
  staffHold: boolean;
  storageHold: boolean;
}

export interface RecordStaffHoldInput {
  subscriptionId: string;
  hold: boolean;
  actorId: string | null;
  reason: string | null;
  requestId: string;
  /** Absent: staff. */
  kind?: HoldKind;
  measuredBytes?: string;
  limitBytes?: string;
  /**
   * Storage lifts: true when the plan now fits (the measurement is forgotten); false when staff lifted it, which
   * keeps the measured size as what is tolerated until the instance is back under its limit.
   */
  fits?: boolean;
}

export interface RecordSubscriptionStateInput {
  subscriptionId: string;
  event: SubscriptionEvent;
  to: SubscriptionState;
  /** ISO 8601 or null: the deadlines that belong to the new state, shown to the customer. */
  graceEndsAt: string | null;
  retentionEndsAt: string | null;
}

const toDate = (iso: string | null) => (iso === null ? null : new Date(iso));

export function createSubscriptionActivities({ prisma }: SubscriptionActivityDeps) {
  /**
   * The storage watchdog's hold (issue 13), with an audit row in the instance's log (no other row records it): set
   * with what was measured, lifted by a plan that fits or by staff.
   */
  async function recordStorageHold(input: RecordStaffHoldInput): Promise<{ changed: boolean }> {
    return prisma.$transaction(async (tx) => {
      const bytes = (v: string | undefined) => (v === undefined ? null : BigInt(v));
      const { count } = await tx.subscription.updateMany({
        where: { id: input.subscriptionId, storageHoldSince: input.hold ? null : { not: null } },
        data: input.hold
          ? {
              storageHoldSince: new Date(),
              storageHoldBytes: bytes(input.measuredBytes),
              storageHoldLimitBytes: bytes(input.limitBytes),
            }
          : input.fits
            ? { storageHoldSince: null, storageHoldBytes: null, storageHoldLimitBytes: null }
            : { storageHoldSince: null },
      });
      if (count === 0) return { changed: false };
      const row = await tx.subscription.findUniqueOrThrow({
        where: { id: input.subscriptionId },
        select: { state: true, instance: { select: { id: true } } },
      });
      await recordAudit(tx, {
        actorType: input.actorId ? 'account' : 'system',
        actorId: input.actorId,
        actorLabel: input.actorId ? 'subscription workflow' : 'storage watchdog',
        action: input.hold ? 'subscription.storage_hold' : 'subscription.storage_hold_lifted',
        targetType: 'subscription',
        targetId: input.subscriptionId,
        instanceId: row.instance?.id ?? null,
        reason: input.reason,
        details: {
          requestId: input.requestId,
          measuredBytes: input.measuredBytes ?? null,
          limitBytes: input.limitBytes ?? null,
          liftedBy: input.hold ? null : input.fits ? 'plan' : 'staff',
          subscriptionState: row.state,
        },
      });
      return { changed: true };
    });
  }

  return withPermanentErrors({
    async loadSubscription(input: { subscriptionId: string }): Promise<SubscriptionSnapshot> {
      const row = await prisma.subscription.findUniqueOrThrow({
        where: { id: input.subscriptionId },
        select: {
          state: true,
          staffHoldSince: true,
          storageHoldSince: true,
          instance: { select: { id: true, state: true } },
          account: { select: { email: true, name: true } },
        },
      });
      return {
        state: row.state,
        instance: row.instance,
        staffHold: row.staffHoldSince !== null,
        storageHold: row.storageHoldSince !== null,
        // The photo app needs a display name; the address's local part is what the customer would recognise.
        owner: { email: row.account.email, name: row.account.name ?? row.account.email.split('@')[0]! },
      };
    },

    /** Sets or lifts support's hold, with an audit row; a repeat (the same state already there) writes nothing. */
    async recordStaffHold(input: RecordStaffHoldInput): Promise<{ changed: boolean }> {
      if (input.kind === 'storage') return recordStorageHold(input);
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.subscription.updateMany({
          where: { id: input.subscriptionId, staffHoldSince: input.hold ? null : { not: null } },
          data: { staffHoldSince: input.hold ? new Date() : null },
        });
        if (count === 0) return { changed: false };
        const row = await tx.subscription.findUniqueOrThrow({
          where: { id: input.subscriptionId },
          select: { state: true, instance: { select: { id: true } } },
        });
        await recordAudit(tx, {
          actorType: input.actorId ? 'account' : 'system',
          actorId: input.actorId,
          actorLabel: 'subscription workflow',
          action: input.hold ? 'subscription.staff_hold' : 'subscription.staff_hold_lifted',
          targetType: 'subscription',
          targetId: input.subscriptionId,
          // On the subscription, not in the instance's log: there support's own row (who, why) is the record.
          instanceId: null,
          reason: input.reason,
          details: { requestId: input.requestId, instanceId: row.instance?.id ?? null, subscriptionState: row.state },
        });
        return { changed: true };
      });
    },

    /**
     * Moves the row to `to` through the tenant model's transition table. Finding the row already in `to` is the
     * retry of a write that succeeded (only the deadlines are refreshed); any other disagreement is a bug and is
     * refused as illegal_transition rather than papered over.
     */
    async recordSubscriptionState(input: RecordSubscriptionStateInput): Promise<{ changed: boolean }> {
      const deadlines = { graceEndsAt: toDate(input.graceEndsAt), retentionEndsAt: toDate(input.retentionEndsAt) };
      return prisma.$transaction(async (tx) => {
        const row = await tx.subscription.findUniqueOrThrow({
          where: { id: input.subscriptionId },
          select: { state: true, instance: { select: { id: true } } },
        });
        if (row.state === input.to) {
          await tx.subscription.update({ where: { id: input.subscriptionId }, data: deadlines });
          return { changed: false };
        }
        const next = transitionSubscription(row.state, input.event);
        if (next !== input.to) {
          throw new DomainError(
            'illegal_transition',
            `subscription ${input.subscriptionId}: ${input.event} leads from ${row.state} to ${next}, not ${input.to}`,
          );
        }
        // Conditional on the state read above: a concurrent writer makes this fail (and Temporal retry) instead of
        // one change silently overwriting the other.
        const { count } = await tx.subscription.updateMany({
          where: { id: input.subscriptionId, state: row.state },
          data: { state: next, ...deadlines },
        });
        if (count !== 1) throw new Error(`subscription ${input.subscriptionId} changed state concurrently`);
        await recordAudit(tx, {
          actorType: 'system',
          actorLabel: 'subscription workflow',
          action: 'subscription.state_changed',
          targetType: 'subscription',
          targetId: input.subscriptionId,
          instanceId: row.instance?.id ?? null,
          details: { from: row.state, to: next, event: input.event },
        });
        return { changed: true };
      });
    },
  });
}

export type SubscriptionActivities = ReturnType<typeof createSubscriptionActivities>;
