// The portal against the real PostgreSQL and the real Temporal dev server: liveness, readiness, and readiness
// failing with a body that names the database when the database goes away (its error text only on loopback).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { testStack } from '@photoplane/infra/testing';
import type { App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

const stack = testStack();
let db: CreatedDatabase;
let prisma: PrismaClient;
let portal: Portal;
let app: App;
let baseUrl: string;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  // The portal's own readiness checks: its database client and its (lazy) Temporal connection.
  portal = await startTestPortal({
    prisma,
    config: testPortalConfig(db.url, {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: stack.temporalNamespace,
    }),
  });
  app = portal.app;
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await portal?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

test('GET /healthz answers ok over HTTP', async () => {
  const res = await fetch(`${baseUrl}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('GET /readyz is ready when PostgreSQL and Temporal both answer', async () => {
  const res = await fetch(`${baseUrl}/readyz`);
  const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.status, 'ready');
  assert.equal(body.checks.database?.status, 'up');
  assert.equal(body.checks.temporal?.status, 'up');
});

test('GET /readyz answers 503 naming the database when the database is gone, and Temporal stays up', async () => {
  await db.drop(); // terminates the portal's connections and removes the database
  const res = await fetch(`${baseUrl}/readyz`);
  const body = (await res.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
  assert.equal(res.status, 503);
  assert.equal(body.status, 'unavailable');
  assert.equal(body.checks.database?.status, 'down');
  assert.match(body.checks.database?.error ?? '', /\S/, 'the failing check says why (to a loopback caller)');
  assert.equal(body.checks.temporal?.status, 'up');

  // From anywhere else, anonymous: which dependency is down, but not the driver's error text.
  const outside = await app.inject({ method: 'GET', url: '/readyz', remoteAddress: '203.0.113.9' });
  assert.equal(outside.statusCode, 503);
  const seen = outside.json<{ status: string; checks: Record<string, { status: string; error?: string }> }>();
  assert.equal(seen.checks.database?.status, 'down');
  assert.equal(seen.checks.database?.error, undefined, 'no error text outside loopback');
  assert.ok(!outside.body.includes(body.checks.database.error!), 'the reason is nowhere in the body');
});
