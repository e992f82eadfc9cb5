import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BYTES_PER_GIB,
  bytesToGib,
  findPlanByPrice,
  gibToBytes,
  parsePlan,
  parsePlans,
  storageHardLimit,
  storageOverLimit,
} from './plan.ts';
import { isDomainError } from './errors.ts';

const valid = { id: 'family', name: 'Family', storageGib: 500, stripePriceId: 'price_1MoBy5LkdIwHu7ixZhnattbh' };

function failsOn(field: string) {
  return (error: unknown) => isDomainError(error, 'validation') && error.details.field === field;
}

describe('plans', () => {
  it('gibToBytes is exact in bigint, also past the float-safe range', () => {
    assert.equal(gibToBytes(1), 1_073_741_824n);
    assert.equal(gibToBytes(16_384), 2n ** 44n);
    assert.equal(gibToBytes(2n ** 40n), 2n ** 70n);
  });

  it('gibToBytes refuses fractions and negatives instead of rounding', () => {
    assert.throws(() => gibToBytes(1.5), failsOn('storageGib'));
    assert.throws(() => gibToBytes(-1), failsOn('storageGib'));
    assert.throws(() => gibToBytes(Number.NaN), failsOn('storageGib'));
  });

  it('bytesToGib inverts gibToBytes for every whole GiB', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 50n }), (gib) => bytesToGib(gibToBytes(gib)) === gib));
  });

  it('parsePlan maps a configuration object to a plan with storage in bytes', () => {
    assert.deepEqual(parsePlan(valid), {
      id: 'family',
      name: 'Family',
      storageBytes: 500n * BYTES_PER_GIB,
      stripePriceId: valid.stripePriceId,
      publicLinks: true,
      linkPasswordRequired: false,
    });
    assert.equal(parsePlan({ ...valid, storageGib: ' 200 ' }).storageBytes, 200n * BYTES_PER_GIB);
  });

  it('a plan allows public links unless it says otherwise; it may ask links for a password and a bounded expiry (issue 14)', () => {
    assert.equal(parsePlan(valid).publicLinks, true);
    assert.equal(parsePlan({ ...valid, publicLinks: false }).publicLinks, false);
    assert.throws(() => parsePlan({ ...valid, publicLinks: 'no' }), failsOn('plan.publicLinks'));
    assert.equal(parsePlan(valid).linkMaxExpiryDays, undefined);
    assert.equal(parsePlan(valid).linkPasswordRequired, false);
    assert.equal(parsePlan({ ...valid, linkMaxExpiryDays: 30 }).linkMaxExpiryDays, 30);
    assert.equal(parsePlan({ ...valid, linkPasswordRequired: true }).linkPasswordRequired, true);
    for (const bad of [0, -1, 1.5, '30', 3651]) {
      assert.throws(() => parsePlan({ ...valid, linkMaxExpiryDays: bad }), failsOn('plan.linkMaxExpiryDays'));
    }
    assert.throws(() => parsePlan({ ...valid, linkPasswordRequired: 'yes' }), failsOn('plan.linkPasswordRequired'));
  });

  it('parsePlan names the field that failed: name, storageGib (positive integer) and stripePriceId', () => {
    assert.throws(() => parsePlan({ ...valid, name: '  ' }), failsOn('plan.name'));
    assert.throws(() => parsePlan({ ...valid, storageGib: 0 }), failsOn('plan.storageGib'));
    assert.throws(() => parsePlan({ ...valid, storageGib: 2.5 }), failsOn('plan.storageGib'));
    assert.throws(() => parsePlan({ ...valid, storageGib: '-3' }), failsOn('plan.storageGib'));
    assert.throws(() => parsePlan({ ...valid, stripePriceId: 'prod_123' }), failsOn('plan.stripePriceId'));
    assert.throws(() => parsePlan({ ...valid, id: 'Has Space' }), failsOn('plan.id'));
    assert.throws(() => parsePlan(null), failsOn('plan'));
  });

  it('parsePlans refuses an empty catalogue and duplicate ids or prices, pointing at the entry', () => {
    assert.throws(() => parsePlans([]), failsOn('plans'));
    assert.throws(
      () => parsePlans([valid, { ...valid, stripePriceId: 'price_other' }]),
      (error: unknown) => isDomainError(error, 'conflict') && error.details.field === 'plans[1].id',
    );
    assert.throws(
      () => parsePlans([valid, { ...valid, id: 'solo' }]),
      (error: unknown) => isDomainError(error, 'conflict') && error.details.field === 'plans[1].stripePriceId',
    );
    assert.throws(() => parsePlans([valid, { ...valid, id: 'x', storageGib: 0 }]), failsOn('plans[1].storageGib'));
  });

  it('findPlanByPrice maps a Stripe price back to its plan', () => {
    const plans = parsePlans([valid, { id: 'solo', name: 'Solo', storageGib: 100, stripePriceId: 'price_solo' }]);
    assert.equal(findPlanByPrice(plans, 'price_solo')?.id, 'solo');
    assert.equal(findPlanByPrice(plans, 'price_unknown'), undefined);
  });
});

describe('storage hard limit (watchdog)', () => {
  it('is the plan plus the grace, rounded down, and refuses odd graces', () => {
    assert.equal(storageHardLimit(1000n, 10), 1100n);
    assert.equal(storageHardLimit(999n, 10), 1098n);
    assert.equal(storageHardLimit(BYTES_PER_GIB, 0), BYTES_PER_GIB);
    assert.throws(() => storageHardLimit(1000n, -1), RangeError);
    assert.throws(() => storageHardLimit(1000n, 2.5), RangeError);
  });

  it('holds only above the limit, and after a staff lift only on growth beyond what staff accepted', () => {
    assert.equal(storageOverLimit(1100n, 1100n), false);
    assert.equal(storageOverLimit(1101n, 1100n), true);
    assert.equal(storageOverLimit(1500n, 1100n, 1500n), false, 'what staff accepted');
    assert.equal(storageOverLimit(1400n, 1100n, 1500n), false, 'the owner deleting');
    assert.equal(storageOverLimit(1501n, 1100n, 1500n), true, 'growing again');
    fc.assert(
      fc.property(fc.bigInt(0n, 2n ** 50n), fc.bigInt(0n, 2n ** 50n), (measured, limit) => {
        assert.equal(storageOverLimit(measured, limit), measured > limit);
      }),
    );
  });
});
