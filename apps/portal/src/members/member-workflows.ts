// How the portal reaches the member workflows (SPEC M2-M7): the database is the source of truth, and after each
// committed change the member's sync workflow is told to make the photo app match the row again. signalWithStart
// starts `member-sync-<memberId>` or, while one runs, signals it to read the row once more, so a change made while
// a sync is under way is never lost. The daily purge is a Temporal Schedule.
import {
  type ApplyPhotoAppConfigInput,
  type applyPhotoAppConfigWorkflow,
  instanceQuotasWorkflowId,
  memberChangedSignal,
  MEMBER_PURGE_CRON,
  MEMBER_PURGE_SCHEDULE_ID,
  memberSyncWorkflowId,
  memberWorkflowNames,
  photoAppConfigChangedSignal,
  photoAppConfigWorkflowId,
  photoAppConfigWorkflowName,
  quotasChangedSignal,
  type refreshInstanceQuotasWorkflow,
  type RefreshInstanceQuotasInput,
  type SyncMemberInput,
  type syncMemberWorkflow,
} from '@photoplane/provisioner/contracts';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export interface MemberSync {
  /** Resolves once Temporal has accepted the request; the photo app catches up asynchronously. */
  syncMember(input: SyncMemberInput): Promise<void>;
  /** After a committed instance setting the photo app mirrors (the deletion delay, M7): apply it there now. */
  applyPhotoAppConfig(input: ApplyPhotoAppConfigInput): Promise<void>;
}

export function createMemberSync(deps: { client: Client; taskQueue: string }): MemberSync {
  return {
    async syncMember(input) {
      await deps.client.workflow.signalWithStart<typeof syncMemberWorkflow, []>(memberWorkflowNames.syncMember, {
        taskQueue: deps.taskQueue,
        workflowId: memberSyncWorkflowId(input.memberId),
        args: [input],
        signal: memberChangedSignal,
        signalArgs: [],
      });
    },
    async applyPhotoAppConfig(input) {
      await deps.client.workflow.signalWithStart<typeof applyPhotoAppConfigWorkflow, []>(photoAppConfigWorkflowName, {
        taskQueue: deps.taskQueue,
        workflowId: photoAppConfigWorkflowId(input.instanceId),
        args: [input],
        signal: photoAppConfigChangedSignal,
        signalArgs: [],
      });
    },
  };
}

export interface InstanceQuotaSync {
  /** After a committed plan change: push every member's effective limit to the photo app now (SPEC P6). */
  refreshInstanceQuotas(instanceId: string): Promise<void>;
}

export function createInstanceQuotaSync(deps: { client: Client; taskQueue: string }): InstanceQuotaSync {
  return {
    async refreshInstanceQuotas(instanceId) {
      const input: RefreshInstanceQuotasInput = { instanceId };
      await deps.client.workflow.signalWithStart<typeof refreshInstanceQuotasWorkflow, []>(
        memberWorkflowNames.refreshInstanceQuotas,
        {
          taskQueue: deps.taskQueue,
          workflowId: instanceQuotasWorkflowId(instanceId),
          args: [input],
          signal: quotasChangedSignal,
          signalArgs: [],
        },
      );
    },
  };
}

/**
 * Creates the midnight purge schedule (seed 000: "the user deletion job runs at midnight"), or points an existing
 * one at the current task queue. Idempotent, so every portal start may call it.
 */
export async function ensureMemberPurgeSchedule(deps: {
  client: Client;
  taskQueue: string;
  scheduleId?: string;
  timezone?: string;
}): Promise<void> {
  const scheduleId = deps.scheduleId ?? MEMBER_PURGE_SCHEDULE_ID;
  const spec = { cronExpressions: [MEMBER_PURGE_CRON], timezone: deps.timezone ?? 'UTC' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: memberWorkflowNames.purgeDueMembers,
    taskQueue: deps.taskQueue,
    args: [],
  };
  try {
    await deps.client.schedule.create({
      scheduleId,
      spec,
      action,
      // A run still going at the next midnight (thousands of members) is left to finish; the next one is skipped.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    await deps.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}
