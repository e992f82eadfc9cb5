// The account settings in the portal's configuration: local defaults that let `npm start` run from a fresh
// clone, and production refusing to start without its secrets and public addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, readPortalConfig } from '../src/config.ts';

const DATABASE_URL = 'postgresql://u:p@127.0.0.1:5432/db';

test('outside production the account settings default, with a random JWT key flagged as generated', () => {
  const a = readPortalConfig({ DATABASE_URL });
  const b = readPortalConfig({ DATABASE_URL });
  assert.equal(a.accessTokenTtlSeconds, 15 * 60);
  assert.equal(a.refreshTokenTtlSeconds, 30 * 24 * 60 * 60);
  assert.equal(a.jwtAudience, 'photoplane-portal');
  assert.equal(a.loginAttemptsPerMinute, 10);
  assert.equal(a.jwtSecretGenerated, true);
  assert.ok(a.jwtSecret.length >= 32);
  assert.notEqual(a.jwtSecret, b.jwtSecret);
  assert.equal(a.publicUrl, 'http://127.0.0.1:3000');
  assert.match(a.smtpUrl, /^smtp:\/\/127\.0\.0\.1:/);
});

test('given values are used, and the public URL loses its trailing slash', () => {
  const c = readPortalConfig({
    DATABASE_URL,
    JWT_SECRET: 'x'.repeat(32),
    JWT_ISSUER: 'https://portal.example.com',
    ACCESS_TOKEN_TTL_SECONDS: '300',
    SMTP_URL: 'smtps://mailer:pw@mail.example.com:465',
    MAIL_FROM: 'Photos <hello@example.com>',
    PORTAL_PUBLIC_URL: 'https://portal.example.com/',
  });
  assert.equal(c.jwtSecret, 'x'.repeat(32));
  assert.equal(c.jwtSecretGenerated, false);
  assert.equal(c.jwtIssuer, 'https://portal.example.com');
  assert.equal(c.accessTokenTtlSeconds, 300);
  assert.equal(c.publicUrl, 'https://portal.example.com');
});

test('a short JWT_SECRET is refused, and production requires every secret and address', () => {
  assert.throws(
    () => readPortalConfig({ DATABASE_URL, JWT_SECRET: 'too-short' }),
    (e: unknown) => e instanceof ConfigError && /JWT_SECRET must be at least 32 characters, got 9/.test(e.message),
  );
  assert.throws(
    () => readPortalConfig({ DATABASE_URL, NODE_ENV: 'production' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      ['JWT_SECRET', 'SMTP_URL', 'PORTAL_PUBLIC_URL', 'MAIL_FROM'].every((name) =>
        e.message.includes(`${name} is required in production`),
      ),
  );
  assert.throws(
    () => readPortalConfig({ DATABASE_URL, SMTP_URL: 'http://mail', PORTAL_PUBLIC_URL: 'ftp://x' }),
    (e: unknown) =>
      e instanceof ConfigError && /SMTP_URL must be/.test(e.message) && /PORTAL_PUBLIC_URL must be/.test(e.message),
  );
});
