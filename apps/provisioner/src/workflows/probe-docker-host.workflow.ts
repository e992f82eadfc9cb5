// Probe a Docker host: ask the engine for its version through an activity, record it, return what was found.
// It is the smallest workflow that crosses every boundary the provisioner has: Temporal, Docker and PostgreSQL.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DockerHostProbeInput, DockerHostProbeResult } from '../contracts/index.ts';

const { inspectDockerEngine, recordDockerHostProbe } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function probeDockerHostWorkflow(input: DockerHostProbeInput): Promise<DockerHostProbeResult> {
  const facts = await inspectDockerEngine();
  // Workflow time is deterministic (replay-safe), unlike the activity's clock.
  const probedAt = new Date().toISOString();
  const { hostId } = await recordDockerHostProbe({ ...input, facts, probedAt });
  return { hostId, probedAt, ...facts };
}
