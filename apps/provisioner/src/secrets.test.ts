import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHmac } from 'node:crypto';
import { createSecrets, oidcClientSecretKey } from './secrets.ts';

const secrets = createSecrets('k'.repeat(40));

test('an instance database password is stable for the instance and differs between instances and keys', () => {
  assert.equal(secrets.databasePassword('a'), secrets.databasePassword('a'));
  assert.notEqual(secrets.databasePassword('a'), secrets.databasePassword('b'));
  assert.notEqual(createSecrets('j'.repeat(40)).databasePassword('a'), secrets.databasePassword('a'));
});

test('encrypted secrets round-trip, do not contain the plaintext, and refuse tampering or another key', () => {
  const box = secrets.encrypt('immich-api-key-123');
  assert.equal(secrets.decrypt(box), 'immich-api-key-123');
  assert.ok(!box.includes('immich-api-key-123'));
  assert.notEqual(secrets.encrypt('x'), secrets.encrypt('x'), 'a fresh IV each time');
  const parts = box.split('.');
  parts[3] = Buffer.from('tampered').toString('base64url');
  assert.throws(() => secrets.decrypt(parts.join('.')));
  assert.throws(() => createSecrets('j'.repeat(40)).decrypt(box));
});

test('a short master key is refused', () => {
  assert.throws(() => createSecrets('short'), /at least 32/);
});

test('the OpenID client secret follows the contract, so the portal computes it from the derived key alone', () => {
  const master = 'k'.repeat(40);
  const instanceId = '3f2c9a1e-7b7d-4a2e-9d3c-0c1f5b6a7e88';
  // The contract, written out independently: key = HMAC(master, label), secret = HMAC(key, instance id), base64url.
  const key = createHmac('sha256', master).update('photoplane/oidc-client-secret/v1').digest();
  assert.deepEqual(oidcClientSecretKey(master), key);
  const portalSide = createHmac('sha256', Buffer.from(key.toString('base64url'), 'base64url'))
    .update(instanceId)
    .digest('base64url');
  assert.equal(secrets.oidcClientSecret(instanceId), portalSide);
  assert.notEqual(secrets.oidcClientSecret(instanceId), secrets.oidcClientSecret('another'));
  assert.notEqual(secrets.oidcClientSecret(instanceId), secrets.databasePassword(instanceId));
});
