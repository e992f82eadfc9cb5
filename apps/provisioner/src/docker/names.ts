// Deterministic Docker names from the instance id: a retried step finds what an earlier attempt created
// (inspect by name) instead of creating a second copy.
import { createHash } from 'node:crypto';

// Lowercase letters, digits and '-' (a UUID fits): valid in Docker container, network and volume names
// ([a-zA-Z0-9][a-zA-Z0-9_.-]*) and safe as a DNS label, since containers resolve each other by name.
const INSTANCE_ID = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const MAX_INSTANCE_ID = 63;

export class InvalidInstanceIdError extends Error {
  constructor(
    readonly instanceId: unknown,
    reason: string,
  ) {
    super(`invalid instance id ${JSON.stringify(instanceId)}: ${reason}`);
    this.name = 'InvalidInstanceIdError';
  }
}

export function assertInstanceId(instanceId: unknown): asserts instanceId is string {
  if (typeof instanceId !== 'string' || instanceId.length === 0)
    throw new InvalidInstanceIdError(instanceId, 'must be a non-empty string');
  if (instanceId.length > MAX_INSTANCE_ID)
    throw new InvalidInstanceIdError(instanceId, `must be at most ${MAX_INSTANCE_ID} characters`);
  if (!INSTANCE_ID.test(instanceId))
    throw new InvalidInstanceIdError(instanceId, "may only contain a-z, 0-9 and '-', not at either end");
}

/**
 * Every tenant network's Linux bridge starts with this, so a host firewall can match all of them with one
 * wildcard (`-i ppt+`) however many instances come and go: see infra/src/tenant-firewall.ts.
 */
export const TENANT_BRIDGE_PREFIX = 'ppt';

export interface InstanceNames {
  /** Internal network (no route out): app, db and cache. */
  network: string;
  /** The app's second network, the only one with a gateway: published port and outgoing traffic. */
  egressNetwork: string;
  /** Linux bridge names of the two networks (at most 15 characters; the host firewall matches their prefix). */
  internalBridge: string;
  egressBridge: string;
  db: string;
  cache: string;
  app: string;
  libraryVolume: string;
  databaseVolume: string;
}

export function instanceNames(instanceId: string): InstanceNames {
  assertInstanceId(instanceId);
  const p = `pp-${instanceId}`;
  const short = createHash('sha256').update(instanceId).digest('hex').slice(0, 11);
  return {
    network: `${p}-net`,
    egressNetwork: `${p}-egress`,
    internalBridge: `${TENANT_BRIDGE_PREFIX}i${short}`,
    egressBridge: `${TENANT_BRIDGE_PREFIX}e${short}`,
    db: `${p}-db`,
    cache: `${p}-cache`,
    app: `${p}-app`,
    libraryVolume: `${p}-library`,
    databaseVolume: `${p}-database`,
  };
}
