// The web portal's session and serving (SPEC W1, P2): HttpOnly SameSite cookies instead of tokens in the page,
// a required CSRF header on every cookie-authenticated change (bearer clients unaffected), and the built app
// served at its page paths under a strict Content-Security-Policy. Real PostgreSQL behind the session service.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import type { App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';
import { CSRF_HEADER } from '../src/identity/web-session.plugin.ts';
import { CONTENT_SECURITY_POLICY } from '../src/platform/web-app.routes.ts';
import { createPasswordService } from '../src/platform/password.service.ts';

let db: CreatedDatabase;
let prisma: PrismaClient;
let portal: Portal;
let app: App;
let dist: string;
const email = `web-${randomBytes(4).toString('hex')}@example.com`;
const password = 'a web session password';

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-web-'));
  fs.mkdirSync(path.join(dist, 'assets'));
  fs.writeFileSync(
    path.join(dist, 'index.html'),
    '<!doctype html><title>app</title><script src="/assets/app.js"></script>',
  );
  fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
  const passwords = createPasswordService();
  await prisma.account.create({
    data: {
      email,
      emailNormalized: email,
      passwordHash: await passwords.hashPassword(password),
      emailVerifiedAt: new Date(),
    },
  });
  portal = await startTestPortal({
    prisma,
    config: testPortalConfig(db.url, {
      JWT_SECRET: 'web-session-test-secret-at-least-32-chars',
      JWT_ISSUER: 'pp',
      JWT_AUDIENCE: 'pp',
      ACCESS_TOKEN_TTL_SECONDS: '900',
      REFRESH_TOKEN_TTL_SECONDS: '3600',
      // A local address: cookies without Secure, as over plain HTTP in development.
      PORTAL_PUBLIC_URL: 'http://127.0.0.1:3000',
      PHOTOPLANE_DOMAIN: 'photos.test',
    }),
    webDistDir: dist,
  });
  app = portal.app;
  await app.ready();
});

after(async () => {
  await portal?.close();
  await prisma?.$disconnect();
  await db?.drop();
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
});

type Cookie = { name: string; value: string; httpOnly?: boolean; sameSite?: string; path?: string; secure?: boolean };
const cookieHeader = (cookies: Cookie[]) => cookies.map((c) => `${c.name}=${c.value}`).join('; ');

async function signIn(): Promise<Cookie[]> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/web/session',
    headers: { [CSRF_HEADER]: '1' },
    payload: { email, password },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.cookies;
}

test('signing in sets HttpOnly SameSite cookies, never a token in the body; without the CSRF header it is refused', async () => {
  const refused = await app.inject({ method: 'POST', url: '/v1/web/session', payload: { email, password } });
  assert.equal(refused.statusCode, 403);
  assert.deepEqual(refused.json<{ errors: unknown }>().errors, [
    {
      field: `headers.${CSRF_HEADER}`,
      message: `Requests signed in with a cookie must carry the ${CSRF_HEADER} header.`,
    },
  ]);
  assert.equal(refused.cookies.length, 0);

  const res = await app.inject({
    method: 'POST',
    url: '/v1/web/session',
    headers: { [CSRF_HEADER]: '1' },
    payload: { email, password },
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(Object.keys(res.json()), ['expiresIn'], 'no token in the body');
  const cookies = res.cookies as Cookie[];
  const access = cookies.find((c) => c.name === 'pp_access');
  const refresh = cookies.find((c) => c.name === 'pp_refresh');
  assert.ok(access && refresh);
  assert.equal(access.httpOnly, true);
  assert.equal(access.sameSite, 'Lax');
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.sameSite, 'Strict');
  assert.equal(refresh.path, '/v1/web/session', 'the refresh token goes nowhere but the session routes');

  const who = await app.inject({ method: 'GET', url: '/v1/web/session', headers: { cookie: cookieHeader(cookies) } });
  assert.equal(who.json<{ signedIn: boolean; account: { email: string } }>().account.email, email);
});

test('a cookie-authenticated change needs the CSRF header; reads and bearer clients do not', async () => {
  const cookies = await signIn();
  const me = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cookieHeader(cookies) } });
  assert.equal(me.statusCode, 200, 'a read needs no header');

  const forged = await app.inject({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { cookie: cookieHeader(cookies) },
  });
  assert.equal(forged.statusCode, 403, 'a cross-site form post carries the cookie but cannot add the header');
  const still = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cookieHeader(cookies) } });
  assert.equal(still.statusCode, 200, 'and it changed nothing');

  const out = await app.inject({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { cookie: cookieHeader(cookies), [CSRF_HEADER]: '1' },
  });
  assert.equal(out.statusCode, 204);
  const after = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cookieHeader(cookies) } });
  assert.equal(after.statusCode, 401, 'signed out');

  const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
  const { accessToken } = login.json<{ accessToken: string }>();
  const bearer = await app.inject({
    method: 'POST',
    url: '/v1/auth/logout',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  assert.equal(bearer.statusCode, 204, 'the bearer API (CLI, tests) is unchanged');
});

test('the refresh cookie works once; sign-out clears the cookies and revokes the sign-in', async () => {
  const cookies = await signIn();
  const refreshCookie = cookies.filter((c) => c.name === 'pp_refresh');
  const renewed = await app.inject({
    method: 'POST',
    url: '/v1/web/session/refresh',
    headers: { cookie: cookieHeader(refreshCookie), [CSRF_HEADER]: '1' },
  });
  assert.equal(renewed.statusCode, 200);
  const next = renewed.cookies as Cookie[];
  assert.notEqual(next.find((c) => c.name === 'pp_refresh')?.value, refreshCookie[0]!.value);
  const replay = await app.inject({
    method: 'POST',
    url: '/v1/web/session/refresh',
    headers: { cookie: cookieHeader(refreshCookie), [CSRF_HEADER]: '1' },
  });
  assert.equal(replay.statusCode, 401, 'a used refresh token is refused (and revokes the sign-in)');

  const fresh = await signIn();
  const out = await app.inject({
    method: 'DELETE',
    url: '/v1/web/session',
    headers: { cookie: cookieHeader(fresh), [CSRF_HEADER]: '1' },
  });
  assert.equal(out.statusCode, 204);
  assert.ok(
    (out.cookies as Cookie[]).every((c) => c.value === ''),
    'both cookies cleared',
  );
  const me = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: cookieHeader(fresh) } });
  assert.equal(me.statusCode, 401, 'the old access cookie no longer works');
});

test('the app is served at its pages and assets under a strict Content-Security-Policy', async () => {
  for (const url of ['/', '/signup', '/verify-email', '/reset-password', '/dashboard']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.equal(res.headers['x-frame-options'], 'DENY');
  }
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self';/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
  const asset = await app.inject({ method: 'GET', url: '/assets/app.js' });
  assert.equal(asset.statusCode, 200);
  assert.equal(asset.body, 'console.log(1)');
  const missing = await app.inject({ method: 'GET', url: '/no-such-page' });
  assert.equal(missing.statusCode, 404);
  const secure = await app.inject({ method: 'GET', url: '/v1/web/session' });
  assert.deepEqual(secure.json(), {
    signedIn: false,
    refreshable: false,
    account: null,
    testCheckout: false,
    domain: 'photos.test',
  });
});
