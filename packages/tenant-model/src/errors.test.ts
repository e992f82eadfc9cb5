import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowed,
  assertAllowed,
  DomainError,
  domainErrorCodes,
  isDomainError,
  memberNotFound,
  refused,
} from './errors.ts';

describe('DomainError', () => {
  it('lists every code once, so a Record<Code, status> built from the list has no duplicates', () => {
    assert.equal(new Set(domainErrorCodes).size, domainErrorCodes.length);
    for (const code of ['validation', 'not_found', 'quota_exceeded', 'plan_downgrade_blocked', 'illegal_transition']) {
      assert.ok((domainErrorCodes as readonly string[]).includes(code), code);
    }
  });

  it('is an Error carrying code, message and details, and no HTTP status', () => {
    const error = new DomainError('quota_exceeded', 'full', { bytesAvailable: 5n });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'DomainError');
    assert.equal(error.code, 'quota_exceeded');
    assert.equal(error.details.bytesAvailable, 5n);
    assert.equal('status' in error, false);
    assert.equal(isDomainError(error, 'quota_exceeded'), true);
    assert.equal(isDomainError(error, 'not_found'), false);
    assert.equal(isDomainError(new Error('x')), false);
  });

  it('memberNotFound is the same error every time, so callers cannot leak which case occurred', () => {
    const [a, b] = [memberNotFound(), memberNotFound()];
    assert.deepEqual(
      { code: a.code, message: a.message, details: a.details },
      { code: b.code, message: b.message, details: b.details },
    );
  });

  it('assertAllowed throws the refusal and passes an allowance', () => {
    assertAllowed(allowed);
    const error = new DomainError('forbidden', 'no');
    assert.throws(
      () => assertAllowed(refused(error)),
      (thrown) => thrown === error,
    );
  });
});
