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
  defineQuery,
  defineSignal,
  executeChild,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  desiredInstanceFor,
  subscriptionEventsAllowed,
  transitionSubscription,
  type SubscriptionEvent,
  type SubscriptionState,
} from '@photoplane/tenant-model';
import type { SubscriptionActivities } from '../activities/subscription.activities.ts';
import {
  instanceLifecycleWorkflowId,
  provisionInstanceWorkflowId,
  SUBSCRIPTION_EVENT_SIGNAL,
  SUBSCRIPTION_STATE_QUERY,
  workflowNames,
  type SubscriptionInstanceCondition,
  type SubscriptionSignal,
  type SubscriptionWorkflowInput,
  type SubscriptionWorkflowStatus,
} from '../shared.ts';

const db = proxyActivities<SubscriptionActivities>({
  startToCloseTimeout: '30 seconds',
  // No attempt limit: a database outage must delay a state change, never lose it.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const stripeEventSignal = defineSignal<[SubscriptionSignal]>(SUBSCRIPTION_EVENT_SIGNAL);
export const subscriptionStateQuery = defineQuery<SubscriptionWorkflowStatus>(SUBSCRIPTION_STATE_QUERY);

const RECENT_EVENT_IDS = 200;
const DEFAULT_MAX_EVENTS_PER_RUN = 200;
const DEFAULT_INSTANCE_RETRY_MS = 60_000;

type InstanceOp = 'provision' | 'suspend' | 'resume' | 'deprovision';

/** The instance row's state as the condition the workflow tracks (used when a run starts without a carry). */
function conditionOf(instanceState: string | undefined): SubscriptionInstanceCondition {
  switch (instanceState) {
    case undefined:
    case 'pending':
      return 'none';
    case 'provisioning':
    case 'active':
    case 'resuming':
      return 'running';
    case 'suspending':
    case 'suspended':
      return 'stopped';
    case 'deprovisioning':
    case 'deprovisioned':
      return 'removed';
    default:
      return 'failed';
  }
}

function describe(err: unknown): string {
  let cur: unknown = err;
  while (cur instanceof Error && cur.cause instanceof Error) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionWorkflowStatus> {
  const { subscriptionId, timers, carry } = input;
  const maxEvents = input.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
  const retryMs = timers.instanceRetryMs ?? DEFAULT_INSTANCE_RETRY_MS;

  const inbox: SubscriptionSignal[] = [...(carry?.pending ?? [])];
  const recentEventIds: string[] = [...(carry?.recentEventIds ?? [])];
  // The webhook signals inside its database transaction, so a commit that fails after the signal went out makes
  // Stripe redeliver and the portal signal again: the event id makes the second copy a no-op.
  setHandler(stripeEventSignal, (signal) => {
    if (recentEventIds.includes(signal.eventId) || inbox.some((s) => s.eventId === signal.eventId)) return;
    inbox.push(signal);
  });

  // Until the first run has read the row, the query answers with the state every subscription starts in.
  let state: SubscriptionState = carry?.state ?? 'incomplete';
  let instance: SubscriptionInstanceCondition = carry?.instance ?? 'none';
  let graceEndsAt = carry?.graceEndsAt ?? null;
  let periodEndsAt = carry?.periodEndsAt ?? null;
  let retentionEndsAt = carry?.retentionEndsAt ?? null;
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
  });
  setHandler(subscriptionStateQuery, status);

  // Read on every run (the owner and instance id are not carried, to keep personal data out of the carry); the
  // state comes from the row only on the first run, later runs trust what the previous run handed over.
  const snapshot = await db.loadSubscription({ subscriptionId });
  if (!carry) {
    state = snapshot.state;
    instance = conditionOf(snapshot.instance?.state);
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

  /** Any billing fact about a subscription proves its checkout completed, even if that event is still on its way. */
  async function activateIfIncomplete(): Promise<void> {
    if (state === 'incomplete') await apply('checkout_completed');
  }

  async function handle(signal: SubscriptionSignal): Promise<void> {
    recentEventIds.push(signal.eventId);
    if (recentEventIds.length > RECENT_EVENT_IDS) recentEventIds.splice(0, recentEventIds.length - RECENT_EVENT_IDS);
    const periodEnd = signal.periodEndsAt ? Date.parse(signal.periodEndsAt) : null;
    switch (signal.fact) {
      case 'checkout_completed':
        return activateIfIncomplete();
      case 'subscription_active':
        // A subscription that is (again) live: new, or a cancellation withdrawn, or a new one for a retained instance.
        if (state === 'cancelled' || state === 'retained') return apply('reactivated');
        return activateIfIncomplete();
      case 'payment_succeeded':
        await activateIfIncomplete();
        return apply('payment_succeeded');
      case 'payment_failed':
        await activateIfIncomplete();
        return apply('payment_failed');
      case 'cancel_scheduled':
        await activateIfIncomplete();
        return apply('cancel_requested', periodEnd);
      case 'subscription_deleted':
        await activateIfIncomplete();
        if (state === 'cancelled') {
          // Stripe ended it: the paid period is over now (or at the end it names, if later).
          periodEndsAt = periodEnd ?? Date.now();
          return;
        }
        return apply('cancel_requested', periodEnd);
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

  /** The one instance operation that brings the instance closer to what the state wants, if any. */
  function neededOperation(): InstanceOp | null {
    if (!snapshot.instance) return null;
    switch (desiredInstanceFor(state)) {
      case 'none':
        return null;
      case 'running':
        return instance === 'none' ? 'provision' : instance === 'stopped' ? 'resume' : null;
      case 'stopped':
        return instance === 'running' ? 'suspend' : null;
      case 'removed':
        // A never-provisioned instance has nothing to remove.
        return instance === 'running' || instance === 'stopped' || instance === 'failed' ? 'deprovision' : null;
    }
  }

  async function operate(op: InstanceOp, instanceId: string): Promise<void> {
    const target: Record<InstanceOp, SubscriptionInstanceCondition> = {
      provision: 'running',
      suspend: 'stopped',
      resume: 'running',
      deprovision: 'removed',
    };
    try {
      if (op === 'provision') {
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
    } catch (err) {
      instanceError = `${op}: ${describe(err)}`;
      log.warn('instance operation failed', { subscriptionId, instanceId, op, error: instanceError });
      // It ran and failed: the instance is `failed`, and only removal is retried (support decides on the rest).
      // It could not start (support is running an operation on it right now): it is retried as it was.
      if (err instanceof ChildWorkflowFailure) instance = 'failed';
      instanceRetryAt = Date.now() + retryMs;
    }
  }

  for (;;) {
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
        carry: { state, instance, graceEndsAt, periodEndsAt, retentionEndsAt, recentEventIds, pending: inbox },
      });
    }
    const deadline = nextDeadline();
    if (deadline === null) await condition(() => inbox.length > 0);
    else if (deadline > Date.now()) await condition(() => inbox.length > 0, deadline - Date.now());
  }
}
