// The photo app's settings that follow the instance's (SPEC I1, M7): started by the portal with signalWithStart
// after an instance setting the photo app mirrors (the deletion delay) is committed.
import { signalDefinition } from './definitions.ts';

export type { applyPhotoAppConfigWorkflow } from '../workflows/photo-app-config.workflow.ts';

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

export const photoAppConfigChangedSignal = signalDefinition<[], typeof PHOTO_APP_CONFIG_CHANGED_SIGNAL>(
  PHOTO_APP_CONFIG_CHANGED_SIGNAL,
);
