// The labels every Docker resource of an instance carries. They are how we find an instance's resources again
// (listManaged, removeInstanceStack) and how ensureX tells our resource from a foreign one with the same name.
export const LABELS = {
  instance: 'photoplane.instance',
  subscription: 'photoplane.subscription',
  role: 'photoplane.role',
  managed: 'photoplane.managed',
  /** Hash of a container's create options: a changed spec shows up as drift without diffing inspect output. */
  specHash: 'photoplane.spec-hash',
} as const;

export type ResourceRole = 'db' | 'cache' | 'app' | 'network' | 'egress-network' | 'library' | 'database';

export type Labels = Record<string, string>;

export interface InstanceLabelInput {
  instanceId: string;
  subscriptionId: string;
  role: ResourceRole;
  /** Extra labels (tests add photoplane.test-run); they can never override ours. */
  extra?: Labels;
}

export function instanceLabels({ instanceId, subscriptionId, role, extra }: InstanceLabelInput): Labels {
  return {
    ...extra,
    [LABELS.managed]: 'true',
    [LABELS.instance]: instanceId,
    [LABELS.subscription]: subscriptionId,
    [LABELS.role]: role,
  };
}

/** The labels that decide ownership: managed by us, this instance, this role. */
const OWNERSHIP_KEYS = [LABELS.managed, LABELS.instance, LABELS.role] as const;

/** Which ownership labels of `want` the found resource lacks or has with another value (empty = it is ours). */
export function ownershipMismatch(found: Labels | null | undefined, want: Labels): string[] {
  return OWNERSHIP_KEYS.filter((k) => want[k] !== undefined && found?.[k] !== want[k]).map(
    (k) => `${k}=${found?.[k] ?? '(missing)'}, expected ${want[k]}`,
  );
}

/** Docker list filter for everything we manage for one instance. */
export function instanceFilters(instanceId: string): { label: string[] } {
  return { label: [`${LABELS.managed}=true`, `${LABELS.instance}=${instanceId}`] };
}
