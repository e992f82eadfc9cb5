import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUuid, parseId, type MemberId } from './ids.ts';
import { isDomainError } from './errors.ts';

describe('ids', () => {
  it('accepts opaque ids such as uuids and Stripe-style ids unchanged', () => {
    assert.equal(parseId<MemberId>('3f1c2a9e-7b7d-4c5e-9a0b-2f4b8c1d6e7f'), '3f1c2a9e-7b7d-4c5e-9a0b-2f4b8c1d6e7f');
    assert.equal(parseId('sub_1MowQVLkdIwHu7ixeRlqHVzs'), 'sub_1MowQVLkdIwHu7ixeRlqHVzs');
  });

  it('refuses empty, non-string, path-like and over-long ids with a validation error naming the field', () => {
    for (const bad of ['', 42, null, '../etc', 'a/b', 'a b', 'x'.repeat(129)]) {
      assert.throws(
        () => parseId(bad, 'memberId'),
        (error: unknown) => isDomainError(error, 'validation') && error.details.field === 'memberId',
      );
    }
  });
});

describe('isUuid', () => {
  it('accepts a UUID in either case and nothing else', () => {
    assert.equal(isUuid('0f8fad5b-d9cb-469f-a165-70867728950e'), true);
    assert.equal(isUuid('0F8FAD5B-D9CB-469F-A165-70867728950E'), true);
    for (const bad of [
      '',
      '0f8fad5b-d9cb-469f-a165-70867728950',
      '0f8fad5b-d9cb-469f-a165-70867728950e0',
      'x' + '0'.repeat(35),
    ])
      assert.equal(isUuid(bad), false, bad);
  });
});
