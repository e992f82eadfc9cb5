import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, readPortalConfig } from './config.ts';

test('configuration defaults apply when only DATABASE_URL is given', () => {
  const c = readPortalConfig({ DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db' });
  assert.equal(c.port, 3000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.temporalAddress, '127.0.0.1:7233');
});

test('invalid configuration fails fast listing every problem', () => {
  assert.throws(
    () => readPortalConfig({ PORT: 'eighty', LOG_LEVEL: 'loud' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /DATABASE_URL is required/.test(e.message) &&
      /PORT must be an integer/.test(e.message) &&
      /LOG_LEVEL must be one of/.test(e.message),
  );
});

test('TRUST_PROXY takes addresses, CIDR ranges and named ranges, and names what it refuses', () => {
  const base = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db' };
  assert.deepEqual(readPortalConfig(base).trustProxy, []);
  assert.deepEqual(readPortalConfig({ ...base, TRUST_PROXY: '10.0.0.5, fd00::/8,loopback' }).trustProxy, [
    '10.0.0.5',
    'fd00::/8',
    'loopback',
  ]);
  assert.throws(
    () => readPortalConfig({ ...base, TRUST_PROXY: '10.0.0.0/33,caddy' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /TRUST_PROXY: "10.0.0.0\/33"/.test(e.message) &&
      /TRUST_PROXY: "caddy"/.test(e.message),
  );
});
