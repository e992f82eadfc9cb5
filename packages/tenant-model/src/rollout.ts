// Fleet upgrades in waves (SPEC F3): which instances go in which wave, and when a rollout stops. A canary wave
// first, then waves that grow by a factor, so a bad image reaches few customers before it is caught; a wave whose
// failure rate passes the threshold halts the rollout before the next one starts.
import { DomainError } from './errors.ts';

export interface RolloutPolicy {
  /** Instances in the first wave (the canary). At least 1. */
  canary: number;
  /** Each later wave is this many times the size of the one before (≥ 1), capped by `maxWave`. */
  growth: number;
  /** The largest wave, so a fleet of thousands never upgrades all at once after a few waves. */
  maxWave: number;
  /** A wave in which more than this fraction failed halts the rollout (0 = halt on any failure). */
  maxFailureRate: number;
}

export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = { canary: 1, growth: 2, maxWave: 25, maxFailureRate: 0 };

/** The policy as given, or a DomainError naming the field that is out of range. */
export function parseRolloutPolicy(input: Partial<RolloutPolicy>): RolloutPolicy {
  const policy = { ...DEFAULT_ROLLOUT_POLICY, ...input };
  const int = (field: keyof RolloutPolicy, min: number, max: number) => {
    const v = policy[field];
    if (!Number.isInteger(v) || v < min || v > max)
      throw new DomainError('validation', `${field} must be a whole number from ${min} to ${max}.`, { field });
  };
  int('canary', 1, 100);
  int('maxWave', 1, 10_000);
  if (!Number.isFinite(policy.growth) || policy.growth < 1 || policy.growth > 10)
    throw new DomainError('validation', 'growth must be a number from 1 to 10.', { field: 'growth' });
  if (!Number.isFinite(policy.maxFailureRate) || policy.maxFailureRate < 0 || policy.maxFailureRate >= 1)
    throw new DomainError('validation', 'maxFailureRate must be a fraction from 0 up to (not including) 1.', {
      field: 'maxFailureRate',
    });
  if (policy.canary > policy.maxWave)
    throw new DomainError('validation', 'canary cannot be larger than maxWave.', { field: 'canary' });
  return policy;
}

/**
 * Splits the targets, in the order given, into waves: `canary` first, then each wave `growth` times the previous
 * (rounded up, at least one more than nothing), never more than `maxWave`. Every target is in exactly one wave.
 */
export function planWaves<T>(targets: readonly T[], policy: RolloutPolicy): T[][] {
  const waves: T[][] = [];
  let size = Math.min(policy.canary, policy.maxWave);
  for (let i = 0; i < targets.length;) {
    waves.push(targets.slice(i, i + size));
    i += size;
    size = Math.min(policy.maxWave, Math.max(size, Math.ceil(size * policy.growth)));
  }
  return waves;
}

/** Whether a finished wave halts the rollout: more of it failed than the policy allows. An empty wave never does. */
export function waveHaltsRollout(wave: { size: number; failed: number }, policy: RolloutPolicy): boolean {
  return wave.size > 0 && wave.failed / wave.size > policy.maxFailureRate;
}
