import { allowed, DomainError, refused, type Check } from './errors.ts';
import type { InstanceId, SubscriptionId } from './ids.ts';
import { nextState, isTerminal, eventsAllowedIn, type TransitionTable } from './state-machine.ts';
import type { Subdomain } from './subdomain.ts';

export const instanceStates = [
  'pending',
  'provisioning',
  'active',
  'suspending',
  'suspended',
  'resuming',
  'deprovisioning',
  'deprovisioned',
  'failed',
] as const;
export type InstanceState = (typeof instanceStates)[number];

export const instanceEvents = [
  'provision_started',
  'provisioned',
  'provision_failed',
  'suspend_started',
  'suspended',
  'suspend_failed',
  'resume_started',
  'resumed',
  'resume_failed',
  'deprovision_started',
  'deprovisioned',
  'deprovision_failed',
  'reprovision_started',
] as const;
export type InstanceEvent = (typeof instanceEvents)[number];

/**
 * The -ing states are "a workflow is working on it"; each ends in its target state or in `failed`.
 * `failed` is not terminal: support can reprovision (data volumes are kept) or deprovision.
 * Reprovisioning goes back through `provisioning` because it re-runs the same idempotent saga.
 * Only `deprovisioned` is terminal: the containers and volumes are gone.
 */
export const instanceTransitions = {
  pending: { provision_started: 'provisioning', deprovision_started: 'deprovisioning' },
  provisioning: { provisioned: 'active', provision_failed: 'failed' },
  // provision_failed from active: a provisioning saga that fails after its activation step (the reply was lost,
  // a later step failed) compensates an instance that is already marked active.
  active: {
    suspend_started: 'suspending',
    deprovision_started: 'deprovisioning',
    reprovision_started: 'provisioning',
    provision_failed: 'failed',
  },
  suspending: { suspended: 'suspended', suspend_failed: 'failed' },
  suspended: { resume_started: 'resuming', deprovision_started: 'deprovisioning' },
  resuming: { resumed: 'active', resume_failed: 'failed' },
  deprovisioning: { deprovisioned: 'deprovisioned', deprovision_failed: 'failed' },
  failed: { reprovision_started: 'provisioning', deprovision_started: 'deprovisioning' },
  deprovisioned: {},
} as const satisfies TransitionTable<InstanceState, InstanceEvent>;

export interface Instance {
  readonly id: InstanceId;
  readonly subscriptionId: SubscriptionId;
  readonly subdomain: Subdomain;
  readonly state: InstanceState;
  /** Per-instance member deletion delay (SPEC M7); see deletion.ts. */
  readonly memberDeletionDelayDays: number;
}

/** Throws DomainError 'illegal_transition' for an event the table does not allow in `from`. */
export function transitionInstance(from: InstanceState, event: InstanceEvent): InstanceState {
  return nextState<InstanceState, InstanceEvent>('instance', instanceTransitions, from, event);
}

export function isInstanceTerminal(state: InstanceState): boolean {
  return isTerminal<InstanceState, InstanceEvent>(instanceTransitions, state);
}

export function instanceEventsAllowed(state: InstanceState): InstanceEvent[] {
  return eventsAllowedIn<InstanceState, InstanceEvent>(instanceTransitions, state);
}

/**
 * Whether the edge may route (and issue an on-demand TLS certificate for) the subdomain. Only a running
 * instance answers; anything else would mint certificates for names that serve nothing.
 */
export function instanceServesTraffic(state: InstanceState): boolean {
  return state === 'active';
}

/**
 * Holds (issue 13, item 6): an instance takes new members, and so sends invitation e-mails from the operator's mail
 * domain, only while it is active, i.e. paid for and running. A verified account that never pays, or an instance
 * suspended for non-payment or by staff, cannot use the operator's mail to reach strangers.
 */
export function checkAcceptsMembers(state: InstanceState): Check {
  if (state === 'active') return allowed;
  return refused(
    new DomainError('illegal_transition', 'Members can be added once the instance is active (paid and running).', {
      field: 'subdomain',
      state,
    }),
  );
}

/** The operations support starts on an instance (SPEC A4); each is a workflow that moves it through its states. */
export const instanceOperations = ['suspend', 'resume', 'deprovision', 'reprovision'] as const;
export type InstanceOperation = (typeof instanceOperations)[number];

export interface InstanceOperationStates {
  /** The event that starts the operation. */
  readonly start: InstanceEvent;
  /** The -ing state the operation works in; finding it means an earlier attempt already started. */
  readonly working: InstanceState;
  readonly finish: InstanceEvent;
  readonly fail: InstanceEvent;
  /** The state the operation leads to; finding it before starting means there is nothing to do. */
  readonly done: InstanceState | null;
}

export const instanceOperationStates: Readonly<Record<InstanceOperation, InstanceOperationStates>> = {
  suspend: {
    start: 'suspend_started',
    working: 'suspending',
    finish: 'suspended',
    fail: 'suspend_failed',
    done: 'suspended',
  },
  resume: { start: 'resume_started', working: 'resuming', finish: 'resumed', fail: 'resume_failed', done: 'active' },
  deprovision: {
    start: 'deprovision_started',
    working: 'deprovisioning',
    finish: 'deprovisioned',
    fail: 'deprovision_failed',
    done: 'deprovisioned',
  },
  // Reprovisioning re-runs the provisioning steps, so it works in `provisioning`. An active instance is a valid
  // start, hence no `done` state: asking for it again always rebuilds.
  reprovision: {
    start: 'reprovision_started',
    working: 'provisioning',
    finish: 'provisioned',
    fail: 'provision_failed',
    done: null,
  },
};

/**
 * Whether `operation` may be asked for an instance in `state`: its start event is allowed there, or the instance is
 * already where it leads (a repeated request, which the workflow answers with "already done").
 */
export function checkInstanceOperation(state: InstanceState, operation: InstanceOperation): Check {
  const { start, done } = instanceOperationStates[operation];
  if (state === done || instanceEventsAllowed(state).includes(start)) return allowed;
  return refused(
    new DomainError('illegal_transition', `Cannot ${operation} an instance that is ${state}.`, {
      field: 'state',
      state,
    }),
  );
}

export function instanceOperationsAllowed(state: InstanceState): InstanceOperation[] {
  return instanceOperations.filter((operation) => checkInstanceOperation(state, operation).ok);
}

/**
 * What the instance is known to be, from the subscription workflow's point of view. `failed`: an operation on it
 * failed (the instance row says why); only support's reprovision or the subscription's end moves it on.
 */
export const instanceConditions = ['none', 'running', 'stopped', 'removed', 'failed'] as const;
export type InstanceCondition = (typeof instanceConditions)[number];

/**
 * The instance's state as the condition the subscription workflow tracks. A state in motion counts as where it is
 * going (provisioning or resuming → running, suspending → stopped, deprovisioning → removed): the workflow that
 * moves it is already running and will get there, or leave the instance `failed`.
 */
export function instanceConditionOf(state: InstanceState | undefined): InstanceCondition {
  switch (state) {
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
    case 'failed':
      return 'failed';
  }
}
