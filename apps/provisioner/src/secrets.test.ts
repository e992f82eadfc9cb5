import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSecrets } from './secrets.ts';

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
