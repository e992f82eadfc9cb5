import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSubdomain, reservedSubdomains } from './subdomain.ts';
import { DomainError, type DomainErrorCode } from './errors.ts';

function refusal(input: unknown): { code: DomainErrorCode; rule: unknown; field: unknown; message: string } {
  try {
    parseSubdomain(input);
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return { code: error.code, rule: error.details.rule, field: error.details.field, message: error.message };
  }
  assert.fail(`expected ${JSON.stringify(input)} to be refused`);
}

describe('subdomain (P4)', () => {
  it('length: 2 characters refused, 3 accepted, 63 accepted, 64 refused', () => {
    assert.equal(refusal('ab').rule, 'length');
    assert.match(refusal('ab').message, /at least 3/);
    assert.equal(parseSubdomain('abc'), 'abc');
    assert.equal(parseSubdomain('a'.repeat(63)), 'a'.repeat(63));
    assert.equal(refusal('a'.repeat(64)).rule, 'length');
    assert.match(refusal('a'.repeat(64)).message, /at most 63/);
  });

  it('normalises by trimming and lowercasing', () => {
    assert.equal(parseSubdomain('  Smith-Family '), 'smith-family');
    assert.equal(parseSubdomain('ABC123'), 'abc123');
  });

  it('refuses a leading or trailing hyphen', () => {
    assert.equal(refusal('-smith').rule, 'hyphen');
    assert.equal(refusal('smith-').rule, 'hyphen');
    assert.equal(parseSubdomain('s-m-i-t-h'), 's-m-i-t-h');
  });

  it("refuses '--' in the third and fourth characters (punycode 'xn--' and friends) but not elsewhere", () => {
    assert.equal(refusal('xn--80ak6aa92e').rule, 'double_hyphen');
    assert.equal(refusal('ab--cd').rule, 'double_hyphen');
    assert.equal(parseSubdomain('abc--d'), 'abc--d');
  });

  it('refuses characters outside a-z 0-9 hyphen, including look-alikes that lowercase to ASCII', () => {
    for (const bad of ['smith.family', 'smith_family', 'smith family', 'café', 'smith/x', '\u212Aelvin']) {
      assert.equal(refusal(bad).rule, 'charset', bad);
    }
  });

  it('refuses empty and non-text input', () => {
    assert.equal(refusal('   ').rule, 'required');
    assert.equal(refusal(undefined).rule, 'type');
  });

  it('refuses reserved names with subdomain_reserved, whatever their case', () => {
    for (const name of ['www', 'API', ' admin ', 'portal', 'mail', 'status', 'billing', 'ns1']) {
      assert.equal(refusal(name).code, 'subdomain_reserved', name);
    }
    assert.equal(parseSubdomain('wwww'), 'wwww');
  });

  it('every refusal names the field subdomain and every format refusal has code subdomain_invalid', () => {
    for (const bad of ['ab', '-ab', 'a_b', 'xn--a']) {
      const { code, field } = refusal(bad);
      assert.equal(field, 'subdomain');
      assert.equal(code, 'subdomain_invalid');
    }
  });

  it('every accepted value is a lowercase DNS label of 3-63 characters that is not reserved', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'aZ09-. _'.split('')), maxLength: 70 }), (input) => {
        let value: string;
        try {
          value = parseSubdomain(input);
        } catch (error) {
          assert.ok(error instanceof DomainError);
          return;
        }
        assert.match(value, /^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$/);
        assert.notEqual(value.slice(2, 4), '--');
        assert.equal(reservedSubdomains.has(value), false);
        assert.equal(parseSubdomain(value), value, 'parsing is idempotent');
      }),
    );
  });
});
