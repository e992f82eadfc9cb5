// The HTTP surface every route shares: OpenAPI docs, problem+json for unknown routes and invalid input.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Type } from '@fastify/type-provider-typebox';
import { DomainError } from '@photoplane/tenant-model';
import { createPrismaClient } from '@photoplane/db';
import type { App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import { createReadinessService } from '../src/platform/readiness.service.ts';
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
  app.post(
    '/test/contact',
    {
      schema: {
        body: Type.Object(
          { email: Type.String({ format: 'email' }), subscribe: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => request.body,
  );
  app.get(
    '/test/page',
    {
      schema: {
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1 })), q: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => request.query,
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

test('bodies are exact JSON: a false, a number as text or a one-item list is not coerced to the declared type', async () => {
  for (const [payload, field] of [
    [{ name: false }, 'body.name'],
    [{ name: 7 }, 'body.name'],
    [{ name: ['x'] }, 'body.name'],
    [{ name: 'x', quotaGiB: '5' }, 'body.quotaGiB'],
    [{ name: 'x', quotaGiB: null }, 'body.quotaGiB'],
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload });
    assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    const fields = res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
    assert.deepEqual(fields, [field], JSON.stringify(payload));
  }
  const ok = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'x', quotaGiB: 5 } });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json(), { name: 'x', quotaGiB: 5 });
});

test('the querystring is text, so it is still read as the declared types', async () => {
  const res = await app.inject({ method: 'GET', url: '/test/page?limit=5&q=7' });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { limit: 5, q: '7' });
  const bad = await app.inject({ method: 'GET', url: '/test/page?limit=five' });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(
    bad.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
    ['querystring.limit'],
  );
});

test("format: 'email' is parseEmail's rule: what the services accept passes, anything else is a 400 naming the field", async () => {
  for (const email of ['Ana@Example.com', ' ana@example.com ', 'a.b+c@sub.example.co']) {
    const res = await app.inject({ method: 'POST', url: '/test/contact', payload: { email } });
    assert.equal(res.statusCode, 200, `${email}: ${res.body}`);
  }
  for (const email of ['not-an-address', 'a@b', 'a b@example.com', '@example.com', 'a@-example.com', '']) {
    const res = await app.inject({ method: 'POST', url: '/test/contact', payload: { email } });
    assert.equal(res.statusCode, 400, `${JSON.stringify(email)}: ${res.body}`);
    assert.deepEqual(res.json<{ errors: unknown }>().errors, [
      { field: 'body.email', message: 'is not a valid e-mail address' },
    ]);
  }
});

test('text holding U+0000 (which PostgreSQL cannot store) is refused with 400 naming the field', async () => {
  const body = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'a\u0000b' } });
  assert.equal(body.statusCode, 400, body.body);
  assert.deepEqual(
    body.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
    ['body.name'],
  );
  const query = await app.inject({ method: 'GET', url: '/test/page?q=a%00b' });
  assert.equal(query.statusCode, 400, query.body);
  assert.deepEqual(
    query.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
    ['querystring.q'],
  );
});

test("a URL or headers larger than Node's HTTP parser accepts answer 431 problem+json, documented on every operation", async () => {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/v1/plans?q=${'x'.repeat(20_000)}`);
  assert.equal(res.status, 431);
  assert.match(String(res.headers.get('content-type')), /^application\/problem\+json/);
  assert.equal(((await res.json()) as { title: string }).title, 'Request Header Fields Too Large');
  for (const { method, path, op } of await operations()) {
    if (!path.startsWith('/test/')) assert.ok('431' in op.responses, `${method} ${path}`);
  }
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

test('a known path asked with another method answers 405 problem+json with Allow; an unknown path stays 404', async () => {
  const put = await app.inject({ method: 'PUT', url: '/v1/plans' });
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, HEAD');
  assert.match(String(put.headers['content-type']), /^application\/problem\+json/);
  assert.equal(put.json<{ title: string }>().title, 'Method Not Allowed');
  // A parametric path: the methods of every route that path matches.
  const del = await app.inject({ method: 'DELETE', url: '/v1/instances/family/members?limit=1' });
  assert.equal(del.statusCode, 405);
  assert.equal(del.headers.allow, 'GET, HEAD, POST');
  assert.equal((await app.inject({ method: 'DELETE', url: '/v1/no/such/members' })).statusCode, 404);
});

test('a path parameter longer than the router accepts answers 414 problem+json', async () => {
  const res = await app.inject({ method: 'GET', url: `/v1/subdomains/${'a'.repeat(200)}` });
  assert.equal(res.statusCode, 414);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json<{ title: string }>().title, 'URI Too Long');
});

interface Operation {
  responses: Record<string, unknown>;
  security?: unknown[];
  requestBody?: unknown;
}

async function operations(): Promise<{ method: string; path: string; op: Operation }[]> {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
    paths: Record<string, Record<string, Operation>>;
  }>();
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

test("every status the router and body parser answer before a route's handler is in that route's responses", async () => {
  const seen: string[] = [];
  for (const { method, path, op } of await operations()) {
    if (path.startsWith('/test/')) continue;
    const documented = Object.keys(op.responses);
    const probes: { what: string; url: string; headers?: Record<string, string>; payload?: string }[] = [];
    if (path.includes('{')) probes.push({ what: 'a long parameter', url: path.replace(/\{[^}]+\}/g, 'p'.repeat(200)) });
    const url = path.replace(/\{[^}]+\}/g, 'family');
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
      probes.push({
        what: 'an unknown media type',
        url,
        headers: { 'content-type': 'application/xml' },
        payload: '<a/>',
      });
      probes.push({ what: 'broken JSON', url, headers: { 'content-type': 'application/json' }, payload: '{"a":' });
      probes.push({
        what: 'a body over the limit',
        url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }),
      });
    }
    for (const probe of probes) {
      const res = await app.inject({
        method: method as 'GET',
        url: probe.url,
        ...(probe.headers ? { headers: probe.headers } : {}),
        ...(probe.payload !== undefined ? { payload: probe.payload } : {}),
      });
      seen.push(String(res.statusCode));
      assert.ok(
        documented.includes(String(res.statusCode)),
        `${method} ${path} with ${probe.what} answered ${res.statusCode}, documented: ${documented.join(', ')}`,
      );
    }
  }
  // The probes did reach each refusal (so the loop above checked something).
  for (const status of ['400', '413', '414', '415']) assert.ok(seen.includes(status), `no probe answered ${status}`);
});

test('every secured operation documents 401; every e-mail field in the document declares its format', async () => {
  const ops = await operations();
  for (const { method, path, op } of ops) {
    if (op.security?.length) assert.ok('401' in op.responses, `${method} ${path}`);
  }
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<unknown>();
  const emails: unknown[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'email' && value && typeof value === 'object' && 'type' in value) emails.push(value);
      visit(value);
    }
  };
  visit(doc);
  assert.ok(emails.length >= 10, `found ${emails.length} e-mail fields`);
  for (const email of emails) assert.equal((email as { format?: string }).format, 'email', JSON.stringify(email));
});

test('QUERY, a method that reads a body, on a known path is also 405, not a body error', async () => {
  const res = await app.inject({ method: 'QUERY' as 'GET', url: '/v1/plans' });
  assert.equal(res.statusCode, 405);
  assert.equal(res.headers.allow, 'GET, HEAD');
});
