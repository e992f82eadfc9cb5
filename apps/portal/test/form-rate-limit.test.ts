// Rate limiting at one depth (issue 13): the instance's sign-in form pages are counted by the app's one public
// limiter, per client address, like every unauthenticated JSON route, and its refusal is answered in the format of
// the route: a page (HTML, 429, Retry-After) for a form, problem+json for the API. A signed-in member's account pages
// are not public: the public limiter leaves them alone. Over the real PostgreSQL, with a low limit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { instanceOwnedBy, startHarness, unique, type Harness } from './members-harness.ts';

const DOMAIN = 'photos.localhost';
const LIMIT = 3;
let h: Harness;

before(async () => {
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined }, undefined, {
    signIn: {
      instanceUrlTemplate: `http://{subdomain}.${DOMAIN}`,
      domain: DOMAIN,
      clientSecretKey: randomBytes(32).toString('base64url'),
    },
    publicRequestsPerMinute: LIMIT,
  });
});

after(async () => {
  await h?.close();
});

const form = (host: string, url: string, fields: Record<string, string>, ip: string) =>
  h.app.inject({
    method: 'POST',
    url,
    headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
    remoteAddress: ip,
  });

test('a form page past the public limit answers a page with Retry-After, counted once; other addresses go on', async () => {
  const site = await instanceOwnedBy(h, { subdomain: unique('form') });
  const host = `${site.subdomain}.${DOMAIN}`;
  const ask = (ip: string) => form(host, '/photoplane/forgot', { email: `${unique('x')}@example.com` }, ip);
  // Exactly the public limit passes: no second limiter with a lower budget refuses earlier.
  for (let i = 0; i < LIMIT; i++) {
    const ok = await ask('198.51.100.7');
    assert.equal(ok.statusCode, 200, ok.body);
  }
  const refused = await ask('198.51.100.7');
  assert.equal(refused.statusCode, 429);
  assert.match(String(refused.headers['content-type']), /^text\/html/, 'a page, not problem+json');
  assert.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After says when to come back');
  assert.match(refused.body, /Too many requests; try again in \d+ seconds/);
  assert.match(String(refused.headers['content-security-policy']), /default-src 'none'|default-src/);

  // The reset form is its own public route with the same answer.
  for (let i = 0; i < LIMIT; i++)
    await form(host, '/photoplane/reset', { token: 'x', password: 'p', confirmPassword: 'p' }, '198.51.100.8');
  const reset = await form(
    host,
    '/photoplane/reset',
    { token: 'x', password: 'p', confirmPassword: 'p' },
    '198.51.100.8',
  );
  assert.equal(reset.statusCode, 429);
  assert.match(String(reset.headers['content-type']), /^text\/html/);

  // Another address is not affected.
  assert.equal((await ask('198.51.100.9')).statusCode, 200);
});

test('the JSON API past the same limit answers problem+json', async () => {
  const ask = () =>
    h.app.inject({
      method: 'POST',
      url: '/v1/auth/password-reset/request',
      payload: { email: `${unique('y')}@example.com` },
      remoteAddress: '198.51.100.20',
    });
  let last = await ask();
  for (let i = 0; i < LIMIT; i++) last = await ask();
  assert.equal(last.statusCode, 429, last.body);
  assert.match(String(last.headers['content-type']), /^application\/problem\+json/);
  assert.ok(Number(last.headers['retry-after']) > 0);
});
