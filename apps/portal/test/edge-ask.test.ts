// Caddy's on-demand TLS "ask" (SPEC V6) against real PostgreSQL: a certificate only for a live instance's
// `<subdomain>.<domain>`, never for a pending, suspended or unknown one, another domain, or a deeper name.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import type { App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

const DOMAIN = 'photos.example.net';
let db: CreatedDatabase;
let prisma: PrismaClient;
let portal: Portal;
let app: App;
const names = { active: '', suspended: '', pending: '' };

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  await prisma.plan.create({
    data: { id: 'family', name: 'Family', storageBytes: 1024n ** 4n, stripePriceId: 'price_family', priceCents: 900 },
  });
  for (const state of ['active', 'suspended', 'pending'] as const) {
    const tag = randomBytes(4).toString('hex');
    const email = `${state}-${tag}@example.org`;
    const account = await prisma.account.create({ data: { email, emailNormalized: email, passwordHash: 'x' } });
    const sub = await prisma.subscription.create({
      data: { accountId: account.id, planId: 'family', state: 'active' },
    });
    names[state] = `${state}-${tag}`;
    await prisma.instance.create({ data: { subscriptionId: sub.id, subdomain: names[state], state } });
  }
  portal = await startTestPortal({ prisma, config: testPortalConfig(db.url, { PHOTOPLANE_DOMAIN: DOMAIN }) });
  app = portal.app;
});

after(async () => {
  await portal?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

const ask = (domain: string) => app.inject({ method: 'GET', url: '/v1/edge/tls-ask', query: { domain } });

test('a live instance gets a certificate, whatever the case of the host name Caddy asks about', async () => {
  assert.equal((await ask(`${names.active}.${DOMAIN}`)).statusCode, 200);
  assert.equal((await ask(`${names.active.toUpperCase()}.${DOMAIN.toUpperCase()}`)).statusCode, 200);
});

test('suspended, pending and unknown instances get none', async () => {
  for (const host of [`${names.suspended}.${DOMAIN}`, `${names.pending}.${DOMAIN}`, `nobody-here.${DOMAIN}`]) {
    const res = await ask(host);
    assert.equal(res.statusCode, 404, host);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
});

test('other domains, deeper names, the bare domain and reserved names get none', async () => {
  for (const host of [
    `${names.active}.example.com`,
    `${names.active}.${DOMAIN}.evil.test`,
    `a.${names.active}.${DOMAIN}`,
    DOMAIN,
    `www.${DOMAIN}`,
  ]) {
    assert.equal((await ask(host)).statusCode, 404, host);
  }
});

test('a request without the domain parameter is a 400 naming it', async () => {
  const res = await app.inject({ method: 'GET', url: '/v1/edge/tls-ask' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json<{ errors: { field: string }[] }>().errors[0]?.field, 'querystring.domain');
});
