// Classifying Engine errors. docker-modem puts the HTTP status on the error as `statusCode`; only a real 404
// means "not there": a refused connection or a 500 must never be taken for an absent resource.
function statusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function isNotFound(e: unknown): boolean {
  return statusOf(e) === 404;
}

export function isConflict(e: unknown): boolean {
  return statusOf(e) === 409;
}

/** 304: start of a running container, stop of a stopped one. */
export function isNotModified(e: unknown): boolean {
  return statusOf(e) === 304;
}

export type ResourceKind = 'container' | 'network' | 'volume';

/**
 * A resource has our deterministic name but is not ours (no labels, or another instance's). We never adopt or
 * delete it: an operator has to look.
 */
export class ForeignResourceError extends Error {
  constructor(
    readonly kind: ResourceKind,
    readonly resourceName: string,
    readonly mismatches: string[],
  ) {
    super(`${kind} "${resourceName}" exists but is not ours (${mismatches.join('; ')}); refusing to use or remove it`);
    this.name = 'ForeignResourceError';
  }
}

export type NotHealthyReason = 'unhealthy' | 'exited' | 'restarted' | 'timeout';

/** waitHealthy gave up; `lastOutput` is the last health-check output, the quickest clue to why. */
export class ContainerNotHealthyError extends Error {
  constructor(
    readonly containerName: string,
    readonly reason: NotHealthyReason,
    readonly detail: string,
    readonly lastOutput: string | undefined,
  ) {
    super(
      `container "${containerName}" is not healthy (${reason}: ${detail})` +
        (lastOutput ? `; last health check output: ${lastOutput.trim()}` : ''),
    );
    this.name = 'ContainerNotHealthyError';
  }
}
