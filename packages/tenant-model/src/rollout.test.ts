import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDomainError } from './errors.ts';
import { parseRolloutPolicy, planWaves, waveHaltsRollout, type RolloutPolicy } from './rollout.ts';

const policies = fc
  .record({
    canary: fc.integer({ min: 1, max: 10 }),
    growth: fc.double({ min: 1, max: 10, noNaN: true }),
    maxWave: fc.integer({ min: 10, max: 50 }),
    maxFailureRate: fc.double({ min: 0, max: 0.99, noNaN: true }),
  })
  .map((p): RolloutPolicy => p);

describe('planWaves', () => {
  it('puts every target in exactly one wave, in the order given', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 300 }), policies, (targets, policy) => {
        assert.deepEqual(planWaves(targets, policy).flat(), targets);
      }),
    );
  });

  it('starts with the canary alone, and no wave is empty, shrinks before the last, or exceeds maxWave', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 300 }), policies, (targets, policy) => {
        const waves = planWaves(targets, policy);
        assert.equal(waves[0]!.length, Math.min(policy.canary, targets.length));
        for (const [i, w] of waves.entries()) {
          assert.ok(w.length >= 1 && w.length <= policy.maxWave);
          if (i > 0 && i < waves.length - 1) assert.ok(w.length >= waves[i - 1]!.length);
        }
      }),
    );
  });

  it('with the defaults, 5 instances go 1, 2, then 2', () => {
    assert.deepEqual(
      planWaves([1, 2, 3, 4, 5], parseRolloutPolicy({})).map((w) => w.length),
      [1, 2, 2],
    );
  });
});

describe('waveHaltsRollout', () => {
  it('halts exactly when the failed fraction is above the threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.nat(100), policies, (size, f, policy) => {
        const failed = Math.min(f, size);
        assert.equal(waveHaltsRollout({ size, failed }, policy), failed / size > policy.maxFailureRate);
      }),
    );
  });

  it('with the default threshold, one failed canary halts and a clean wave does not', () => {
    const policy = parseRolloutPolicy({});
    assert.equal(waveHaltsRollout({ size: 1, failed: 1 }, policy), true);
    assert.equal(waveHaltsRollout({ size: 4, failed: 0 }, policy), false);
  });
});

describe('parseRolloutPolicy', () => {
  it('names the field that is out of range', () => {
    for (const [input, field] of [
      [{ canary: 0 }, 'canary'],
      [{ growth: 0.5 }, 'growth'],
      [{ maxFailureRate: 1 }, 'maxFailureRate'],
      [{ maxWave: 1.5 }, 'maxWave'],
      [{ canary: 5, maxWave: 2 }, 'canary'],
    ] as const) {
      assert.throws(
        () => parseRolloutPolicy(input),
        (e: unknown) => isDomainError(e, 'validation') && e.details.field === field,
      );
    }
  });
});
