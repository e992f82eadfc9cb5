// Instance members (SPEC M2-M7): the photo app follows the member table (the database is the source of truth).
// Also the usage sync and the quota refresh, which push every member's limit to the photo app (SPEC P6).
import { signalDefinition } from './definitions.ts';

export type { syncMemberWorkflow } from '../workflows/member-sync.workflow.ts';
export type { purgeDueMembersWorkflow } from '../workflows/member-purge.workflow.ts';
export type { syncUsageWorkflow } from '../workflows/usage-sync.workflow.ts';
export type { refreshInstanceQuotasWorkflow } from '../workflows/instance-quotas.workflow.ts';

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

export const syncUsageWorkflowName = 'syncUsageWorkflow';

export const memberChangedSignal = signalDefinition<[], typeof MEMBER_CHANGED_SIGNAL>(MEMBER_CHANGED_SIGNAL);
export const quotasChangedSignal = signalDefinition<[], typeof QUOTAS_CHANGED_SIGNAL>(QUOTAS_CHANGED_SIGNAL);
