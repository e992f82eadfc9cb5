// The subscription workflow (SPEC P5-P8): one per subscription, fed by the portal's Stripe webhook through signals.
import { queryDefinition, signalDefinition } from './definitions.ts';
import type { InstanceCondition, SubscriptionState } from '@photoplane/tenant-model';

export type { subscriptionWorkflow } from '../workflows/subscription.workflow.ts';

export const subscriptionWorkflowName = 'subscriptionWorkflow';

export function subscriptionWorkflowId(subscriptionId: string): string {
  return `subscription-${subscriptionId}`;
}

/** Signal carrying one Stripe fact, already verified and de-duplicated by the webhook. */
export const SUBSCRIPTION_EVENT_SIGNAL = 'stripeEvent';
/** Query answering SubscriptionWorkflowStatus. */
export const SUBSCRIPTION_STATE_QUERY = 'state';

/**
 * What Stripe's objects say now (re-read by the portal after each event, issue 13), independent of the state the
 * workflow is in (it decides what the fact means there): `paid` a live subscription whose checkout was paid,
 * `unpaid` a renewal that failed, `cancel_scheduled` a live one that ends at `periodEndsAt`, `ended` one Stripe has
 * ended. A checkout that is not paid, or a first invoice that failed, is no fact at all: it never provisions.
 */
export type SubscriptionFact = 'paid' | 'unpaid' | 'cancel_scheduled' | 'ended';

export interface SubscriptionSignal {
  /** The outbox message's id: a signal the dispatcher sends twice (a lost acknowledgement) is applied once. */
  eventId: string;
  fact: SubscriptionFact;
  /** When the portal read this from Stripe, ISO 8601. */
  occurredAt: string;
  /** For cancellations: when the paid period ends, ISO 8601; the instance keeps running until then. */
  periodEndsAt?: string | null;
}

/**
 * A hold the subscription workflow keeps whatever billing says: support's suspend and resume (A4), and the storage
 * watchdog's (issue 13).
 */
export const STAFF_HOLD_SIGNAL = 'staffHold';

/**
 * `staff`: support's suspend (hold) and resume (lift); a staff lift lifts the storage hold too. `storage`: the
 * watchdog found the instance's volumes over the plan's hard limit (hold), or a plan that fits them again (lift).
 */
export type HoldKind = 'staff' | 'storage';

export interface StaffHoldSignal {
  /** Unique per request; a repeat is dropped. */
  requestId: string;
  /** true: keep the instance stopped whatever billing says; false: lift the hold (billing decides again). */
  hold: boolean;
  /** The staff account and reason, for the workflow's audit row (the support API writes its own too). */
  actorId: string | null;
  reason: string | null;
  /** Absent: `staff` (signals from before the watchdog). */
  kind?: HoldKind;
  /** Storage holds: what the watchdog measured and the hard limit it compared with (bytes, decimal strings). */
  measuredBytes?: string;
  limitBytes?: string;
}

/**
 * Support's reprovision and rm (A4, issue 13): operations on the instance are the subscription workflow's to run, so
 * they are signals to it, queued behind whatever it is doing to the instance, never a second workflow beside it.
 */
export const STAFF_OPERATION_SIGNAL = 'staffOperation';

export interface StaffOperationSignal {
  /** Unique per request; a repeat is dropped. */
  requestId: string;
  operation: 'reprovision' | 'deprovision';
  actorId: string | null;
  reason: string | null;
}

/** Storage watchdog: one instance's volumes as Docker measured them, against its plan's hard limit. */
export interface StorageVerdict {
  instanceId: string;
  subscriptionId: string;
  /** Library plus database volume, bytes (decimal string). */
  measuredBytes: string;
  /** Plan storage plus the configured grace, bytes (decimal string). */
  limitBytes: string;
  over: boolean;
  /** Whether the subscription carries a storage hold right now. */
  held: boolean;
}

export interface SubscriptionTimers {
  /** Past due → suspended (SPEC P7, default 7 days). */
  graceMs: number;
  /** Retained → deprovisioned (SPEC P8, default 30 days). */
  retentionMs: number;
  /** Wait before retrying an instance operation that failed to start or failed (default 1 minute). */
  instanceRetryMs?: number;
}

/** What the instance is known to be, from the subscription workflow's point of view (the tenant model's rule). */
export type SubscriptionInstanceCondition = InstanceCondition;

/** Carried across continueAsNew so a new run resumes exactly where the last one stopped. */
export interface SubscriptionWorkflowCarry {
  state: SubscriptionState;
  instance: SubscriptionInstanceCondition;
  graceEndsAt: number | null;
  periodEndsAt: number | null;
  retentionEndsAt: number | null;
  recentEventIds: string[];
  pending: SubscriptionSignal[];
  /** Absent in carries from before staff holds existed. */
  staffHold?: boolean;
  pendingHolds?: StaffHoldSignal[];
  /** Absent in carries from before the storage watchdog. */
  storageHold?: boolean;
  /** Absent in carries from before staff operations went through this workflow. */
  pendingStaffOperations?: StaffOperationSignal[];
}

export interface SubscriptionWorkflowInput {
  subscriptionId: string;
  timers: SubscriptionTimers;
  /** Events handled before continueAsNew (keeps the history short); default 200. */
  maxEventsPerRun?: number;
  carry?: SubscriptionWorkflowCarry;
}

export interface SubscriptionWorkflowStatus {
  state: SubscriptionState;
  instance: SubscriptionInstanceCondition;
  graceEndsAt: string | null;
  periodEndsAt: string | null;
  retentionEndsAt: string | null;
  /** Events applied in this run (resets with continueAsNew). */
  eventsHandled: number;
  /** The last instance operation that failed, until one succeeds. */
  instanceError: string | null;
  /** Support holds the instance stopped. */
  staffHold: boolean;
  /** The storage watchdog holds the instance stopped (over its plan's hard limit). */
  storageHold: boolean;
}

/** The typed definitions of the signals and the query above, shared by the workflow (setHandler) and the portal. */
export const stripeEventSignal = signalDefinition<[SubscriptionSignal], typeof SUBSCRIPTION_EVENT_SIGNAL>(
  SUBSCRIPTION_EVENT_SIGNAL,
);
export const staffHoldSignal = signalDefinition<[StaffHoldSignal], typeof STAFF_HOLD_SIGNAL>(STAFF_HOLD_SIGNAL);
export const staffOperationSignal = signalDefinition<[StaffOperationSignal], typeof STAFF_OPERATION_SIGNAL>(
  STAFF_OPERATION_SIGNAL,
);
export const subscriptionStateQuery = queryDefinition<SubscriptionWorkflowStatus, typeof SUBSCRIPTION_STATE_QUERY>(
  SUBSCRIPTION_STATE_QUERY,
);
