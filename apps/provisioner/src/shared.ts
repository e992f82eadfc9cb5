// What the portal (and tests) need to start the provisioner's workflows: names, task queue and signatures.
// Imported by the portal, so it holds types and constants only.
export const DEFAULT_TASK_QUEUE = 'photoplane-provisioner';

export interface DockerHostProbeInput {
  /** Unique name of the host in the `docker_host` table. */
  hostName: string;
  /** The endpoint the worker reached it at (e.g. unix:///var/run/docker.sock). */
  endpoint: string;
}

export interface DockerEngineFacts {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
}

export interface DockerHostProbeResult extends DockerEngineFacts {
  hostId: string;
  probedAt: string;
}

export const workflowNames = {
  probeDockerHost: 'probeDockerHostWorkflow',
  provisionInstance: 'provisionInstanceWorkflow',
  syncUsage: 'syncUsageWorkflow',
  suspendInstance: 'suspendInstanceWorkflow',
  resumeInstance: 'resumeInstanceWorkflow',
  deprovisionInstance: 'deprovisionInstanceWorkflow',
  upgradeInstance: 'upgradeInstanceWorkflow',
  reprovisionInstance: 'reprovisionInstanceWorkflow',
  reconcileInstances: 'reconcileInstancesWorkflow',
} as const;

export function probeDockerHostWorkflowId(hostName: string): string {
  return `docker-host-probe-${hostName}`;
}

/** Host-bound activities (Docker) run on the queue of the host the instance was placed on (SPEC V5). */
export function hostTaskQueue(hostName: string): string {
  return `photoplane-host-${hostName}`;
}

export interface ProvisionInstanceInput {
  instanceId: string;
  owner: { email: string; name: string };
}

/** The saga's steps, in order; `progress` queries and the instance's provisioningStep name them (SPEC V2). */
export const provisionSteps = [
  'start',
  'place',
  'containers',
  'owner',
  'configure',
  'route',
  'activate',
  'notify',
] as const;
export type ProvisionStep = (typeof provisionSteps)[number];

export interface ProvisionProgress {
  step: ProvisionStep;
  completed: ProvisionStep[];
  failed: boolean;
}

export interface ProvisionInstanceResult {
  instanceId: string;
  /** False when the ready e-mail could not be sent (the instance is active regardless). */
  ownerNotified: boolean;
  hostName: string;
  appHostPort: number;
  url: string;
}

export function provisionInstanceWorkflowId(instanceId: string): string {
  return `instance-provision-${instanceId}`;
}

export const PROGRESS_QUERY = 'progress';

// ---------------------------------------------------------------------------------------------------------------
// Instance lifecycle after provisioning (SPEC V3) and reconciliation (V4).

/** The operations that move an instance through its states; each is a workflow. */
export const instanceOperations = ['suspend', 'resume', 'deprovision', 'reprovision'] as const;
export type InstanceOperation = (typeof instanceOperations)[number];

/**
 * One id for suspend, resume, deprovision and upgrade of an instance: Temporal refuses to start a second workflow
 * with a running one's id, so two operations can never work on the same containers at once. Reprovision re-runs
 * the provisioning steps and uses provisionInstanceWorkflowId, which keeps it apart from a provision in flight.
 */
export function instanceLifecycleWorkflowId(instanceId: string): string {
  return `instance-lifecycle-${instanceId}`;
}

/** The ApplicationFailure type of a lifecycle workflow that failed after starting (the instance is `failed`). */
export const INSTANCE_OPERATION_FAILED = 'InstanceOperationFailed';

export interface InstanceOperationInput {
  instanceId: string;
}

export interface InstanceOperationResult {
  instanceId: string;
  /** `already-done`: the instance was in the target state before the workflow started (a repeated request). */
  outcome: 'done' | 'already-done';
}

export interface ResumeInstanceResult extends InstanceOperationResult {
  /** Null when already active (nothing was restarted). */
  appHostPort: number | null;
}

export interface ReprovisionInstanceResult {
  instanceId: string;
  hostName: string;
  appHostPort: number;
  url: string;
}

export interface UpgradeInstanceInput {
  instanceId: string;
  /** The photo app image to run, e.g. ghcr.io/immich-app/immich-server:v1.135.0; it must be on the host. */
  appImage: string;
}

export interface UpgradeInstanceResult {
  instanceId: string;
  appImage: string;
  /** null: the configured default image. */
  previousImage: string | null;
  appHostPort: number;
}

/** A failed upgrade whose rollback worked: the instance serves from its previous image. */
export const UPGRADE_ROLLED_BACK = 'UpgradeRolledBack';

export interface ReconcileInstancesInput {
  /** Only the instances placed on this host; all hosts when absent. */
  hostName?: string;
}

/** `photo-app-config`: the app's settings the control plane relies on (OAuth, password login, …; SPEC I1). */
export type ReconcileSubject = 'db' | 'cache' | 'app' | 'route' | 'photo-app-config';
export type ReconcileProblem =
  | 'missing'
  | 'stopped'
  | 'drifted'
  | 'running-while-suspended'
  | 'route-stale'
  | 'routed-while-suspended'
  | 'config-drifted';
export type ReconcileAction = 'recreated' | 'started' | 'stopped' | 'routed' | 'unrouted' | 'reasserted';

export interface ReconcileRepair {
  instanceId: string;
  subject: ReconcileSubject;
  problem: ReconcileProblem;
  action: ReconcileAction;
  /** For drift: which field differed and how (for the photo app's config: which fields, never their values). */
  detail?: string;
}

export interface ReconcileReport {
  /** Instances looked at: active ones (should run) and suspended ones (should not). */
  checked: number;
  repaired: ReconcileRepair[];
  failed: { instanceId: string; error: string }[];
}

export function reconcileInstancesWorkflowId(hostName?: string): string {
  return hostName ? `instances-reconcile-${hostName}` : 'instances-reconcile';
}

/** For the Temporal Schedule that runs reconcileInstancesWorkflow periodically (DESIGN: Schedules). */
export function reconcileScheduleId(hostName?: string): string {
  return hostName ? `photoplane-reconcile-${hostName}` : 'photoplane-reconcile';
}

// ---------------------------------------------------------------------------------------------------------------
// The subscription workflow (SPEC P5-P8): one per subscription, fed by the portal's Stripe webhook through signals.
// (The import sits here, not at the top, only because this block was appended while the file was shared.)
import type { SubscriptionState } from '@photoplane/tenant-model';

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

/**
 * What the instance is known to be, from the subscription workflow's point of view. `failed`: an operation on it
 * failed (the instance row says why); only support's reprovision or the subscription's end moves it on.
 */
export type SubscriptionInstanceCondition = 'none' | 'running' | 'stopped' | 'removed' | 'failed';

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

// ---------------------------------------------------------------------------------------------------------------
// Instance members (SPEC M2-M7): the photo app follows the member table (the database is the source of truth).

export const memberWorkflowNames = {
  syncMember: 'syncMemberWorkflow',
  purgeDueMembers: 'purgeDueMembersWorkflow',
  refreshInstanceQuotas: 'refreshInstanceQuotasWorkflow',
} as const;

/** One sync workflow per member at a time; a change while it runs is signalled to it (see syncMemberWorkflow). */
export function memberSyncWorkflowId(memberId: string): string {
  return `member-sync-${memberId}`;
}

/** "The member row changed, make the photo app match again"; carries nothing, the row is read afresh. */
export const MEMBER_CHANGED_SIGNAL = 'memberChanged';

export interface SyncMemberInput {
  instanceId: string;
  memberId: string;
}

/** What the last pass did to the member's photo-app user. */
export type MemberSyncOutcome = 'absent' | 'created' | 'updated' | 'soft-deleted' | 'restored' | 'purged' | 'skipped';

export interface SyncMemberResult {
  memberId: string;
  outcome: MemberSyncOutcome;
  /** How many times the row was read and applied in this run (1 + changes signalled while it ran). */
  passes: number;
}

/** The Temporal Schedule that runs purgeDueMembersWorkflow daily at midnight (SPEC M7, seed 000). */
export const MEMBER_PURGE_SCHEDULE_ID = 'member-purge';
export const MEMBER_PURGE_CRON = '0 0 * * *';

export interface DueMember {
  instanceId: string;
  memberId: string;
}

export interface PurgeDueMembersResult {
  purged: DueMember[];
  /** Due members whose removal failed this run; the next run tries again. */
  failed: (DueMember & { error: string })[];
}

/** One instance's usage sync: usage copied, limits pushed, and what was put right (each audited). */
export interface InstanceUsageSync {
  membersUpdated: number;
  limitsPushed: number;
  /** Quotas found changed in the photo app's admin screens and written back to the effective limit. */
  quotasReasserted: number;
  /** Photo-app users that are a member's own (same e-mail), linked to that member. */
  usersAdopted: number;
  /** Photo-app users that are no member, soft-deleted. */
  usersRefused: number;
}

export interface UsageSyncReport extends InstanceUsageSync {
  instances: number;
  failed: { instanceId: string; error: string }[];
  /** Storage watchdog: instances measured, held for being over their hard limit, and released by a plan that fits. */
  storageMeasured: number;
  storageHeld: string[];
  storageReleased: string[];
}

export const USAGE_SYNC_SCHEDULE_ID = 'usage-sync';

/**
 * One quota refresh per instance at a time (SPEC P6): started by the portal after a plan change is committed, or
 * signalled while one runs, so the last plan always wins without waiting for the usage-sync schedule.
 */
export function instanceQuotasWorkflowId(instanceId: string): string {
  return `instance-quotas-${instanceId}`;
}

/** "The plan (or something else every member's limit depends on) changed"; the rows are read afresh. */
export const QUOTAS_CHANGED_SIGNAL = 'quotasChanged';

export interface RefreshInstanceQuotasInput {
  instanceId: string;
}

export interface RefreshInstanceQuotasResult {
  instanceId: string;
  /** `skipped`: the instance's photo app is not running (it gets the limits at resume or the next usage sync). */
  outcome: 'refreshed' | 'skipped' | 'failed';
  limitsPushed: number;
  passes: number;
  error?: string;
  /** The storage watchdog's look afterwards (issue 13): `released` when the new plan fits a held instance. */
  storage?: 'within' | 'held' | 'released' | 'still-over' | 'failed';
  storageError?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The photo app's settings that follow the instance's (SPEC I1, M7): started by the portal with signalWithStart
// after an instance setting the photo app mirrors (the deletion delay) is committed.

export const photoAppConfigWorkflowName = 'applyPhotoAppConfigWorkflow';

/** One run per instance at a time; a change while it runs is signalled to it and causes one more pass. */
export function photoAppConfigWorkflowId(instanceId: string): string {
  return `instance-photo-app-config-${instanceId}`;
}

/** "An instance setting the photo app mirrors changed"; the row is read afresh. */
export const PHOTO_APP_CONFIG_CHANGED_SIGNAL = 'photoAppConfigChanged';

export interface ApplyPhotoAppConfigInput {
  instanceId: string;
}

export interface ApplyPhotoAppConfigResult {
  instanceId: string;
  /** `skipped`: the photo app is not running (resume keeps its settings; reconcile re-asserts them). */
  outcome: 'applied' | 'skipped' | 'failed';
  /** The fields written in the last pass (names only). */
  changed: string[];
  passes: number;
  error?: string;
}
