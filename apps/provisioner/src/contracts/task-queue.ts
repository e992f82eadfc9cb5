// Where the provisioner's work is queued. The portal starts every workflow on the configured queue
// (TEMPORAL_TASK_QUEUE, DEFAULT_TASK_QUEUE when unset); Docker work runs on the queue of the host it touches.
export const DEFAULT_TASK_QUEUE = 'photoplane-provisioner';

/** Host-bound activities (Docker) run on the queue of the host the instance was placed on (SPEC V5). */
export function hostTaskQueue(hostName: string): string {
  return `photoplane-host-${hostName}`;
}
