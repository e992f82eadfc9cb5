import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DomainError } from './errors.ts';
import {
  linkPolicyApplies,
  linkPolicyBreach,
  parseReportedLink,
  shareCredentialsOf,
  shareHint,
  shownLink,
} from './shared-link.ts';

const key = 'Zm9vYmFyYmF6cXV4cXV1eC1rZXktb2YtZmlmdHktcmFuZG9tLWJ5dGVzLWxvbmctZW5vdWdo';
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.code, 'validation');
    return (e.details as { field?: string }).field;
  }
  assert.fail('expected a refusal');
};

describe('the share credentials a request to an instance carries', () => {
  it('finds the key in the page path, below it, in the query and in the header; the slug in /s/ and ?slug=', () => {
    assert.deepEqual(shareCredentialsOf(`/share/${key}`), [{ kind: 'key', value: key }]);
    assert.deepEqual(shareCredentialsOf(`/share/${key}/photos/1f0c`), [{ kind: 'key', value: key }]);
    assert.deepEqual(shareCredentialsOf(`/api/assets/1f0c/thumbnail?size=preview&key=${key}`), [
      { kind: 'key', value: key },
    ]);
    assert.deepEqual(shareCredentialsOf('/api/shared-links/me', key), [{ kind: 'key', value: key }]);
    assert.deepEqual(shareCredentialsOf('/s/summer%20trip'), [{ kind: 'slug', value: 'summer trip' }]);
    assert.deepEqual(shareCredentialsOf('/api/shared-links/me?slug=summer'), [{ kind: 'slug', value: 'summer' }]);
  });

  it('carries nothing for the rest of the app, and nothing that cannot be a credential', () => {
    for (const uri of ['/', '/api/albums', '/photos/share', '/sharex/abc', '/share/', '/api/x?key=', '/s/'])
      assert.deepEqual(shareCredentialsOf(uri), [], uri);
    assert.deepEqual(shareCredentialsOf(`/share/${'a'.repeat(129)}`), [], 'longer than any key');
    assert.deepEqual(shareCredentialsOf('/share/not%ZZvalid'), [], 'bad escape');
    assert.deepEqual(shareCredentialsOf('/api/x?key=has%20space'), [], 'not base64url');
  });

  it('reads the page path the way the edge and the app may: escaped, doubled slashes, any casing', () => {
    for (const uri of [`//share/${key}`, `/%73hare/${key}`, `/SHARE/${key}`, `/share//${key}`])
      assert.deepEqual(shareCredentialsOf(uri), [{ kind: 'key', value: key }], uri);
    assert.deepEqual(shareCredentialsOf(`/api/x?k%65y=${key}`), [{ kind: 'key', value: key }], 'an escaped name');
  });

  it('names each credential once, whichever ways a request repeats it', () => {
    assert.deepEqual(shareCredentialsOf(`/share/${key}?key=${key}`, key), [{ kind: 'key', value: key }]);
  });

  it('every key a link can have is found in every place Immich reads it from', () => {
    fc.assert(
      fc.property(fc.base64String({ minLength: 4, maxLength: 100 }), (b64) => {
        const k = b64.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
        fc.pre(k.length > 0);
        const want = [{ kind: 'key', value: k }];
        assert.deepEqual(shareCredentialsOf(`/share/${k}`), want);
        assert.deepEqual(shareCredentialsOf(`/api/shared-links/me?key=${encodeURIComponent(k)}`), want);
        assert.deepEqual(shareCredentialsOf('/api/assets', k), want);
      }),
    );
  });
});

describe('a reported link', () => {
  it('names the instance and the one credential', () => {
    assert.deepEqual(parseReportedLink(`https://ann-photos.photos.example/share/${key}`, 'photos.example'), {
      subdomain: 'ann-photos',
      credential: { kind: 'key', value: key },
    });
    assert.deepEqual(parseReportedLink('http://Ann-Photos.photos.example:8443/s/trip', 'photos.example'), {
      subdomain: 'ann-photos',
      credential: { kind: 'slug', value: 'trip' },
    });
  });

  it('is refused, naming the field url, when it is not one link of an instance here', () => {
    const domain = 'photos.example';
    for (const input of [
      '',
      42,
      'not a url',
      `ftp://ann.photos.example/share/${key}`,
      `https://ann.elsewhere.example/share/${key}`,
      `https://a.b.photos.example/share/${key}`,
      `https://photos.example/share/${key}`,
      `https://www.photos.example/share/${key}`, // reserved, not an instance
      'https://ann.photos.example/albums',
      `https://ann.photos.example/share/${key}?slug=other`,
    ])
      assert.equal(
        fieldOf(() => parseReportedLink(input, domain)),
        'url',
        String(input),
      );
  });

  it('is shown by its first characters only', () => {
    assert.equal(shareHint({ kind: 'key', value: key }), key.slice(0, 6));
    assert.equal(shareHint({ kind: 'slug', value: 'trip' }), 'trip');
  });
});

describe("a plan's link policy", () => {
  const day = 24 * 60 * 60 * 1000;
  const made = new Date('2026-12-01T10:00:00Z');
  const after = (days: number) => new Date(made.getTime() + days * day);

  it('asks for a password: a link without one breaks it, a protected one keeps it even unseen', () => {
    const policy = { passwordRequired: true };
    assert.equal(linkPolicyBreach(policy, { hasPassword: false, createdAt: made, expiresAt: after(1) }), 'password');
    assert.equal(linkPolicyBreach(policy, { hasPassword: true }), undefined);
    assert.equal(linkPolicyBreach({}, { hasPassword: false, createdAt: made, expiresAt: null }), undefined);
  });

  it('asks for an expiry within N days of the link being made; a link that never expires breaks it', () => {
    const policy = { maxExpiryDays: 30 };
    assert.equal(linkPolicyBreach(policy, { hasPassword: false, createdAt: made, expiresAt: after(30) }), undefined);
    assert.equal(
      linkPolicyBreach(policy, { hasPassword: false, createdAt: made, expiresAt: new Date(after(30).getTime() + 1) }),
      'expiry',
    );
    assert.equal(linkPolicyBreach(policy, { hasPassword: true, createdAt: made, expiresAt: null }), 'expiry');
    // A protected link seen without its password shows no dates: the expiry cannot be judged yet.
    assert.equal(linkPolicyBreach(policy, { hasPassword: true }), undefined);
  });

  it('states the rule: a breach is exactly a missing password asked for, or a lifetime past the maximum', () => {
    fc.assert(
      fc.property(
        fc.record({ passwordRequired: fc.boolean(), maxExpiryDays: fc.option(fc.integer({ min: 1, max: 3650 })) }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 4000 * day })),
        (policy, hasPassword, lifetime) => {
          const expiresAt = lifetime === null ? null : new Date(made.getTime() + lifetime);
          const breach = linkPolicyBreach(policy, { hasPassword, createdAt: made, expiresAt });
          const tooLong = policy.maxExpiryDays !== null && (lifetime === null || lifetime > policy.maxExpiryDays * day);
          const expected = policy.passwordRequired && !hasPassword ? 'password' : tooLong ? 'expiry' : undefined;
          assert.equal(breach, expected);
          if (!linkPolicyApplies(policy)) assert.equal(breach, undefined);
        },
      ),
    );
  });

  it('shows a link by its kind and first characters', () => {
    assert.equal(shownLink('key', 'abc123'), '/share/abc123…');
    assert.equal(shownLink('slug', 'summer'), '/s/summer…');
  });
});
