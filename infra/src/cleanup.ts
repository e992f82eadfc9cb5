// Removes the Docker resources a test run labelled with its run id: the safety net behind each test's own cleanup.
import type Docker from 'dockerode';

export { TEST_RUN_LABEL } from './testing.ts';

export async function removeLabelled(docker: Docker, label: string, value: string): Promise<number> {
  const filters = JSON.stringify({ label: [`${label}=${value}`] });
  let removed = 0;
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true, v: true });
    removed++;
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove();
    removed++;
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    await docker.getVolume(v.Name).remove();
    removed++;
  }
  return removed;
}
