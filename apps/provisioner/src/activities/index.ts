import { createDockerHostActivities, type DockerHostActivityDeps } from './docker-host.activities.ts';

export type ActivityDeps = DockerHostActivityDeps;

/** Every activity the worker registers, built from injected dependencies (no globals, easy to test). */
export function createActivities(deps: ActivityDeps) {
  return { ...createDockerHostActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
