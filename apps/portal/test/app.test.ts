// The HTTP surface every route shares: OpenAPI docs, problem+json for unknown routes and invalid input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Type } from '@fastify/type-provider-typebox';
import { DomainError } from '@photoplane/tenant-model';
import { createPrismaClient } from '@photoplane/db';
import type { App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import { createReadinessService } from '../src/services/readiness.service.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

// No test here reaches the database: the client is made (the portal needs one) and never connects.
const UNUSED_DATABASE = 'postgresql://unused:unused@127.0.0.1:9/unused';
const prisma = createPrismaClient(UNUSED_DATABASE);
let portal: Portal;
let app: App;

before(async () => {
  const readiness = createReadinessService({ always: async () => undefined });
  portal = await startTestPortal({ prisma, config: testPortalConfig(UNUSED_DATABASE), overrides: { readiness } });
  app = portal.app;
  // A route declared the way every real route is, to check validation errors end to end.
  app.post(
    '/test/echo',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1 }), quotaGiB: Type.Optional(Type.Integer({ minimum: 0 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => request.body,
  );
  app.post('/test/quota', async () => {
    throw new DomainError('quota_exceeded', 'Only 1 GiB is left to allocate', {
      field: 'quotaGiB',
      bytesAvailable: 1073741824n,
    });
  });
  await app.ready();
});

after(() => portal.close());

test('the OpenAPI document is served under /docs and lists the health routes', async () => {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
  assert.match(doc.openapi, /^3\./);
  assert.ok(doc.paths['/healthz'] && doc.paths['/readyz']);
  const ui = await app.inject({ method: 'GET', url: '/docs/' });
  assert.equal(ui.statusCode, 200);
  assert.match(String(ui.headers['content-type']), /text\/html/);
});

test('an unknown route answers 404 as problem+json', async () => {
  const res = await app.inject({ method: 'GET', url: '/no/such/thing?x=1' });
  assert.equal(res.statusCode, 404);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json<{ status: number; title: string; detail: string }>();
  assert.equal(body.status, 404);
  assert.equal(body.title, 'Not Found');
  assert.equal(body.detail, 'No route GET /no/such/thing');
});

test('invalid input answers 400 problem+json naming every bad field, unknown fields included', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/test/echo',
    payload: { name: '', quotaGiB: -1, colour: 'red' },
  });
  assert.equal(res.statusCode, 400);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json<{ errors: { field: string; message: string }[] }>();
  const fields = body.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['body.colour', 'body.name', 'body.quotaGiB']);
  assert.equal(body.errors.find((e) => e.field === 'body.colour')?.message, 'is not a known field');
});

test('a body over the size limit is refused with 413 problem+json', async () => {
  const smallPortal = await startTestPortal({
    prisma,
    config: testPortalConfig(UNUSED_DATABASE, { BODY_LIMIT_BYTES: '1024' }),
    overrides: { readiness: createReadinessService({}) },
  });
  const small = smallPortal.app;
  small.post('/test/upload', async () => ({ ok: true }));
  try {
    const res = await small.inject({ method: 'POST', url: '/test/upload', payload: { blob: 'x'.repeat(4096) } });
    assert.equal(res.statusCode, 413);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  } finally {
    await smallPortal.close();
  }
});

test('a domain error becomes problem+json with its mapped status, code, field and byte counts as strings', async () => {
  const res = await app.inject({ method: 'POST', url: '/test/quota' });
  assert.equal(res.statusCode, 422);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json<Record<string, unknown>>();
  assert.equal(body.code, 'quota_exceeded');
  assert.equal(body.detail, 'Only 1 GiB is left to allocate');
  assert.equal(body.bytesAvailable, '1073741824');
  assert.deepEqual(body.errors, [{ field: 'quotaGiB', message: 'Only 1 GiB is left to allocate' }]);
});
