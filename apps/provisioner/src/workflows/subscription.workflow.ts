// One long-running workflow per subscription (SPEC P5-P8, DESIGN "Long-running work lives in Temporal"). The portal's
// Stripe webhook feeds it facts through signals; the workflow decides what each fact means in its current state
// (the tenant model's transition table), writes every state change to the database through an activity, and then
// brings the instance to what the state wants (desiredInstanceFor) through child workflows: provision, suspend,
// resume, deprovision. Grace and retention are Temporal timers (a `condition` with a timeout), not cron; their
// deadlines are kept as instants so continueAsNew carries them over exactly.
import {
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  desiredInstanceFor,
  instanceConditionOf,
  subscriptionEventsAllowed,
  transitionSubscription,
  type SubscriptionEvent,
  type SubscriptionState,
} from '@photoplane/tenant-model';
import type { StorageActivities } from '../activities/storage.activities.ts';
import type { SubscriptionActivities } from '../activities/subscription.activities.ts';
import {
  instanceLifecycleWorkflowId,
  provisionInstanceWorkflowId,
  staffHoldSignal,
  staffOperationSignal,
  stripeEventSignal,
  subscriptionStateQuery,
  workflowNames,
  type StaffHoldSignal,
  type StaffOperationSignal,
  type SubscriptionInstanceCondition,
  type SubscriptionSignal,
  type SubscriptionWorkflowInput,
  type SubscriptionWorkflowStatus,
} from '../contracts/index.ts';
import { describe } from './describe-failure.ts';

const db = proxyActivities<SubscriptionActivities>({
  startToCloseTimeout: '30 seconds',
  // No attempt limit: a database outage must delay a state change, never lose it.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const mail = proxyActivities<StorageActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20 },
});

const RECENT_EVENT_IDS = 200;
const DEFAULT_MAX_EVENTS_PER_RUN = 200;
const DEFAULT_INSTANCE_RETRY_MS = 60_000;

type InstanceOp = 'provision' | 'suspend' | 'resume' | 'deprovision';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionWorkflowStatus> {
  const { subscriptionId, timers, carry } = input;
  const maxEvents = input.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
  const retryMs = timers.instanceRetryMs ?? DEFAULT_INSTANCE_RETRY_MS;

  const inbox: SubscriptionSignal[] = [...(carry?.pending ?? [])];
  const recentEventIds: string[] = [...(carry?.recentEventIds ?? [])];
  // The portal's outbox sends each signal at least once (a lost acknowledgement makes it send again): the message id
  // makes the second copy a no-op.
  setHandler(stripeEventSignal, (signal) => {
    if (recentEventIds.includes(signal.eventId) || inbox.some((s) => s.eventId === signal.eventId)) return;
    inbox.push(signal);
  });
  // Support's suspend and resume (A4): the workflow owns the instance's lifecycle, so staff do not stop it behind
  // the subscription's back (a later invoice.paid would start it again); the hold stays until staff lift it.
  const holds: StaffHoldSignal[] = [...(carry?.pendingHolds ?? [])];
  setHandler(staffHoldSignal, (signal) => {
    if (recentEventIds.includes(signal.requestId) || holds.some((s) => s.requestId === signal.requestId)) return;
    holds.push(signal);
  });
  // Support's reprovision and rm: run here, after whatever this workflow is doing to the instance, so two operations
  // never meet on the same containers and the workflow knows what the instance became.
  const staffOperations: StaffOperationSignal[] = [...(carry?.pendingStaffOperations ?? [])];
  // Set on arrival: one waiting for its retry time does not keep waking the loop.
  let staffOperationArrived = false;
  setHandler(staffOperationSignal, (signal) => {
    if (recentEventIds.includes(signal.requestId) || staffOperations.some((s) => s.requestId === signal.requestId))
      return;
    staffOperations.push(signal);
    staffOperationArrived = true;
  });

  // Until the first run has read the row, the query answers with the state every subscription starts in.
  let state: SubscriptionState = carry?.state ?? 'incomplete';
  let instance: SubscriptionInstanceCondition = carry?.instance ?? 'none';
  let graceEndsAt = carry?.graceEndsAt ?? null;
  let periodEndsAt = carry?.periodEndsAt ?? null;
  let retentionEndsAt = carry?.retentionEndsAt ?? null;
  let staffHold = carry?.staffHold ?? false;
  let storageHold = carry?.storageHold ?? false;
  let eventsHandled = 0;
  let instanceError: string | null = null;
  let instanceRetryAt: number | null = null;

  const status = (): SubscriptionWorkflowStatus => ({
    state,
    instance,
    graceEndsAt: iso(graceEndsAt),
    periodEndsAt: iso(periodEndsAt),
    retentionEndsAt: iso(retentionEndsAt),
    eventsHandled,
    instanceError,
    staffHold,
    storageHold,
  });
  setHandler(subscriptionStateQuery, status);

  // Read on every run (the owner and instance id are not carried, to keep personal data out of the carry); the
  // state comes from the row only on the first run, later runs trust what the previous run handed over.
  const snapshot = await db.loadSubscription({ subscriptionId });
  if (!carry) {
    state = snapshot.state;
    instance = instanceConditionOf(snapshot.instance?.state);
    staffHold = snapshot.staffHold;
    storageHold = snapshot.storageHold;
  }

  /** Applies one transition if the table allows it here; anything else is a late or repeated fact, ignored. */
  async function apply(event: SubscriptionEvent, periodEnd: number | null = null): Promise<void> {
    if (!subscriptionEventsAllowed(state).includes(event)) {
      log.info('subscription event ignored in this state', { subscriptionId, state, event });
      return;
    }
    const from = state;
    const to = transitionSubscription(from, event);
    const now = Date.now();
    // Each deadline belongs to one state: set on entering it (a repeated failure keeps the first deadline), cleared
    // on leaving it.
    const nextGrace = to !== 'past_due' ? null : from === 'past_due' ? graceEndsAt : now + timers.graceMs;
    const nextPeriod = to !== 'cancelled' ? null : from === 'cancelled' ? periodEndsAt : (periodEnd ?? now);
    const nextRetention = to !== 'retained' ? null : from === 'retained' ? retentionEndsAt : now + timers.retentionMs;
    await db.recordSubscriptionState({
      subscriptionId,
      event,
      to,
      graceEndsAt: iso(nextGrace),
      retentionEndsAt: iso(nextRetention),
    });
    state = to;
    graceEndsAt = nextGrace;
    periodEndsAt = nextPeriod;
    retentionEndsAt = nextRetention;
  }

  /**
   * What Stripe's current objects mean in this state. The portal sends a fact only when it changed, in the order it
   * read them, so the newest fact is the last one applied. A first payment that failed or is still pending is no
   * fact at all (the portal sends nothing), so `incomplete` never moves on unpaid; `unpaid` is Stripe's past_due,
   * which only a subscription that was paid once reaches (its paid fact may simply not have been read in between).
   */
  async function handle(signal: SubscriptionSignal): Promise<void> {
    recentEventIds.push(signal.eventId);
    if (recentEventIds.length > RECENT_EVENT_IDS) recentEventIds.splice(0, recentEventIds.length - RECENT_EVENT_IDS);
    const periodEnd = signal.periodEndsAt ? Date.parse(signal.periodEndsAt) : null;
    switch (signal.fact) {
      case 'paid':
        if (state === 'incomplete') return apply('checkout_completed');
        // A cancellation withdrawn, or a retained instance bought again.
        if (state === 'cancelled' || state === 'retained') return apply('reactivated');
        if (state === 'past_due' || state === 'suspended') return apply('payment_succeeded');
        return;
      case 'unpaid':
        if (state === 'incomplete') await apply('checkout_completed');
        if (state === 'active' || state === 'past_due') return apply('payment_failed');
        return;
      case 'cancel_scheduled':
        if (state === 'incomplete') await apply('checkout_completed');
        if (state === 'retained') await apply('reactivated');
        if (state === 'cancelled') {
          periodEndsAt = periodEnd ?? periodEndsAt;
          return;
        }
        return apply('cancel_requested', periodEnd);
      case 'ended':
        if (state === 'incomplete') return;
        if (state === 'cancelled') {
          // Stripe ended it: the paid period is over now (or at the end it names, if later).
          periodEndsAt = periodEnd ?? Date.now();
          return;
        }
        return apply('cancel_requested', periodEnd ?? Date.now());
    }
  }

  /** The transition whose timer has run out, if any. */
  function dueTimerEvent(now: number): SubscriptionEvent | null {
    if (state === 'past_due' && graceEndsAt !== null && now >= graceEndsAt) return 'grace_expired';
    if (state === 'cancelled' && periodEndsAt !== null && now >= periodEndsAt) return 'period_ended';
    if (state === 'retained' && retentionEndsAt !== null && now >= retentionEndsAt) return 'retention_expired';
    return null;
  }

  function nextDeadline(): number | null {
    const stateDeadline =
      state === 'past_due'
        ? graceEndsAt
        : state === 'cancelled'
          ? periodEndsAt
          : state === 'retained'
            ? retentionEndsAt
            : null;
    const candidates = [stateDeadline, instanceRetryAt].filter((t): t is number => t !== null);
    return candidates.length ? Math.min(...candidates) : null;
  }

  /**
   * Support's hold and the storage watchdog's are kept apart: each is lifted by its own kind, except that staff
   * resuming an instance lifts both (staff decide; the watchdog holds it again only if it grows further).
   */
  async function hold(signal: StaffHoldSignal): Promise<void> {
    recentEventIds.push(signal.requestId);
    const base = { subscriptionId, actorId: signal.actorId, reason: signal.reason, requestId: signal.requestId };
    if (signal.kind === 'storage') {
      if (signal.hold === storageHold) return;
      await db.recordStaffHold({
        ...base,
        hold: signal.hold,
        kind: 'storage',
        measuredBytes: signal.measuredBytes,
        limitBytes: signal.limitBytes,
        fits: !signal.hold,
      });
      storageHold = signal.hold;
      if (signal.hold && signal.measuredBytes && signal.limitBytes) {
        await mail.notifyStorageHold({
          subscriptionId,
          measuredBytes: signal.measuredBytes,
          limitBytes: signal.limitBytes,
        });
      }
      return;
    }
    if (!signal.hold && storageHold) {
      await db.recordStaffHold({ ...base, hold: false, kind: 'storage', fits: false });
      storageHold = false;
    }
    if (signal.hold === staffHold) return;
    await db.recordStaffHold({ ...base, hold: signal.hold });
    staffHold = signal.hold;
  }

  /** What the instance should be: the subscription state's wish, kept stopped while staff or the watchdog hold it. */
  function desired() {
    const wish = desiredInstanceFor(state);
    return (staffHold || storageHold) && wish === 'running' ? 'stopped' : wish;
  }

  /** The one instance operation that brings the instance closer to what the state wants, if any. */
  function neededOperation(): InstanceOp | null {
    if (!snapshot.instance) return null;
    switch (desired()) {
      case 'none':
        return null;
      case 'running':
        return instance === 'none' ? 'provision' : instance === 'stopped' ? 'resume' : null;
      case 'stopped':
        // Staff may also hold an instance of a subscription that never ran (nothing to stop then).
        return instance === 'running' ? 'suspend' : null;
      case 'removed':
        // A never-provisioned instance has nothing to remove.
        return instance === 'running' || instance === 'stopped' || instance === 'failed' ? 'deprovision' : null;
    }
  }

  async function operate(op: InstanceOp | 'reprovision', instanceId: string): Promise<boolean> {
    const target: Record<InstanceOp | 'reprovision', SubscriptionInstanceCondition> = {
      provision: 'running',
      suspend: 'stopped',
      resume: 'running',
      deprovision: 'removed',
      reprovision: 'running',
    };
    try {
      if (op === 'reprovision') {
        // Support's rebuild of a failed or misbehaving instance: the same id as provisioning, as the saga's.
        await executeChild(workflowNames.reprovisionInstance, {
          workflowId: provisionInstanceWorkflowId(instanceId),
          args: [{ instanceId }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } else if (op === 'provision') {
        await executeChild(workflowNames.provisionInstance, {
          workflowId: provisionInstanceWorkflowId(instanceId),
          args: [{ instanceId, owner: snapshot.owner }],
          // A saga cut off half-way would skip its compensations: it finishes even if this workflow is terminated.
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } else {
        // By name: these are another module's workflows, and the subscription needs nothing else from them.
        const name = {
          suspend: 'suspendInstanceWorkflow',
          resume: 'resumeInstanceWorkflow',
          deprovision: 'deprovisionInstanceWorkflow',
        }[op];
        // The lifecycle id is shared with support's operations, so two can never work on the same containers.
        await executeChild(name, {
          workflowId: instanceLifecycleWorkflowId(instanceId),
          args: [{ instanceId }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      }
      instance = target[op];
      instanceError = null;
      return true;
    } catch (err) {
      instanceError = `${op}: ${describe(err)}`;
      log.warn('instance operation failed', { subscriptionId, instanceId, op, error: instanceError });
      // It ran and failed: the instance is `failed`, and only removal is retried (support decides on the rest).
      // It could not start (support is running an operation on it right now): it is retried as it was.
      if (err instanceof ChildWorkflowFailure) instance = 'failed';
      instanceRetryAt = Date.now() + retryMs;
      return err instanceof ChildWorkflowFailure;
    }
  }

  /**
   * Support's reprovision or rm. It ran (done or failed) → handled; it could not start (an operation started
   * elsewhere still runs on the instance) → kept first in line and tried again after the retry delay.
   */
  async function staffOperation(signal: StaffOperationSignal): Promise<void> {
    if (!snapshot.instance) {
      log.warn('staff operation on a subscription without an instance', { subscriptionId, ...signal });
      recentEventIds.push(signal.requestId);
      return;
    }
    if (await operate(signal.operation, snapshot.instance.id)) recentEventIds.push(signal.requestId);
    else staffOperations.unshift(signal);
  }

  for (;;) {
    const held = holds.shift();
    if (held) {
      await hold(held);
      eventsHandled += 1;
      continue;
    }
    if (staffOperations.length && (instanceRetryAt === null || Date.now() >= instanceRetryAt)) {
      instanceRetryAt = null;
      await staffOperation(staffOperations.shift()!);
      eventsHandled += 1;
      continue;
    }
    const signal = inbox.shift();
    if (signal) {
      await handle(signal);
      eventsHandled += 1;
      continue;
    }
    const timerEvent = dueTimerEvent(Date.now());
    if (timerEvent) {
      await apply(timerEvent);
      continue;
    }
    if (instanceRetryAt === null || Date.now() >= instanceRetryAt) {
      instanceRetryAt = null;
      const op = neededOperation();
      if (op && snapshot.instance) {
        await operate(op, snapshot.instance.id);
        continue;
      }
    }
    if (state === 'ended' && (instance === 'none' || instance === 'removed')) {
      return status();
    }
    if (eventsHandled >= maxEvents || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof subscriptionWorkflow>({
        ...input,
        carry: {
          state,
          instance,
          graceEndsAt,
          periodEndsAt,
          retentionEndsAt,
          recentEventIds,
          pending: inbox,
          staffHold,
          pendingHolds: holds,
          storageHold,
          pendingStaffOperations: staffOperations,
        },
      });
    }
    const deadline = nextDeadline();
    staffOperationArrived = false;
    const woken = () => inbox.length > 0 || holds.length > 0 || staffOperationArrived;
    if (deadline === null) await condition(woken);
    else if (deadline > Date.now()) await condition(woken, deadline - Date.now());
  }
}
