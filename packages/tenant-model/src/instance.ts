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
