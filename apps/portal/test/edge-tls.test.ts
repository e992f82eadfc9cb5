// The production edge config (infra/src/edge-config.ts) run for real (SPEC V6): a Caddy started with it (Caddy's
// internal CA instead of a public one, high ports on 127.0.0.1) in front of this portal, listening on a real port
// with its edge service on real PostgreSQL. A browser's TLS handshake for a live instance's <sub>.<domain> gets a
// certificate for that name, issued at that moment after the portal said yes; any other name gets none. An
// instance route added by the provisioner's edge module is then served over HTTPS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { CADDY_SERVER_ID } from '@photoplane/infra/edge-config';
import { createCaddyEdge, createPendingInstance } from '@photoplane/provisioner/testing';
import type { App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import { startProductionEdge, type ProductionEdge } from './support/production-edge.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

const DOMAIN = 'photos.example.net';
let db: CreatedDatabase;
let prisma: PrismaClient;
let portal: Portal;
let app: App;
let caddy: ProductionEdge;
let upstream: http.Server | undefined;
/** Where this test's portal listens: the edge sends instances' /photoplane prefix there. */
let portalPort = 0;
/** Every question the portal was asked at its ask endpoint, and its answer, as seen by the portal itself. */
const asks: { domain: string; status: number }[] = [];
const instances = {} as Record<
  'live' | 'suspended' | 'deprovisioned' | 'pending' | 'resumed',
  { id: string; host: string }
>;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  for (const state of ['live', 'suspended', 'deprovisioned', 'pending', 'resumed'] as const) {
    const { instance } = await createPendingInstance(prisma, `tls-${state.slice(0, 4)}-`);
    const dbState = state === 'live' ? 'active' : state === 'resumed' ? 'suspended' : state;
    await prisma.instance.update({ where: { id: instance.id }, data: { state: dbState } });
    instances[state] = { id: instance.id, host: `${instance.subdomain}.${DOMAIN}` };
  }

  portal = await startTestPortal({ prisma, config: testPortalConfig(db.url, { PHOTOPLANE_DOMAIN: DOMAIN }) });
  app = portal.app;
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/v1/edge/tls-ask')
      asks.push({ domain: (request.query as { domain: string }).domain, status: reply.statusCode });
  });
  portalPort = (await app.listen({ host: '127.0.0.1', port: 0 }), (app.server.address() as AddressInfo).port);

  caddy = await startProductionEdge({ domain: DOMAIN, portalPort });
});

after(async () => {
  await caddy?.stop();
  if (upstream) await new Promise((resolve) => upstream?.close(resolve));
  await portal?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

/** A TLS handshake as a browser opening https://<servername>/ makes it, trusting only Caddy's local CA. */
async function handshake(servername: string): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: caddy.ports.https, servername, ca: caddy.rootCa });
    socket.setTimeout(20_000, () => socket.destroy(new Error(`handshake for ${servername} timed out`)));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

/** Caddy keeps what it issues under <storage>/certificates/<issuer>/<name>/; the internal issuer's key is "local". */
const issuedCertificate = (name: string) => fs.existsSync(path.join(caddy.storageDir, 'certificates', 'local', name));

async function request(
  url: string,
  host: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { protocol, port, pathname, search } = new URL(url);
  const lib = protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        host: '127.0.0.1',
        port,
        path: `${pathname}${search}`,
        headers: { host },
        servername: host,
        ca: caddy.rootCa,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test("a live instance's name gets a certificate for that name at its first handshake, once the portal said yes", async () => {
  const name = instances.live.host;
  assert.ok(!issuedCertificate(name), 'nothing was issued before the first handshake');
  const cert = await handshake(name); // rejects unless the chain verifies against Caddy's root for this name
  assert.match(cert.subjectaltname ?? '', new RegExp(`DNS:${name.replace(/\./g, '\\.')}(,|$)`));
  assert.ok(issuedCertificate(name));
  assert.deepEqual(
    asks.filter((a) => a.domain === name),
    [{ domain: name, status: 200 }],
  );
  // The certificate is kept: the next handshake is served from memory without asking again.
  await handshake(name);
  assert.equal(asks.filter((a) => a.domain === name).length, 1);
});

test('unknown, suspended, deprovisioned, pending and foreign names get no certificate: the portal said no', async () => {
  const refused = [
    `nobody-${process.pid}.${DOMAIN}`,
    instances.suspended.host,
    instances.deprovisioned.host,
    instances.pending.host,
    `a.${instances.live.host}`,
    `${instances.live.host.split('.')[0]}.example.org`,
  ];
  for (const name of refused) {
    await assert.rejects(handshake(name), /alert|socket|ECONNRESET/i, name);
    assert.ok(!issuedCertificate(name), `no certificate for ${name}`);
    assert.deepEqual(
      asks.filter((a) => a.domain === name),
      [{ domain: name, status: 404 }],
      `the portal was asked about ${name} and said no`,
    );
  }
});

test('the answer follows the instance: a resumed instance gets its certificate at the next handshake', async () => {
  const name = instances.resumed.host;
  await assert.rejects(handshake(name));
  await prisma.instance.update({ where: { id: instances.resumed.id }, data: { state: 'active' } });
  const cert = await handshake(name);
  assert.match(cert.subjectaltname ?? '', new RegExp(`DNS:${name.replace(/\./g, '\\.')}(,|$)`));
  assert.deepEqual(
    asks.filter((a) => a.domain === name).map((a) => a.status),
    [404, 200],
  );
});

test("an instance route added by the provisioner's edge module is served over HTTPS, and HTTP redirects to it", async () => {
  upstream = http.createServer((req, res) => res.end(`photo app for ${req.headers.host ?? ''} ${req.url ?? ''}`));
  await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
  const edge = createCaddyEdge({
    adminUrl: caddy.adminUrl,
    serverId: CADDY_SERVER_ID,
    domain: DOMAIN,
    portalUpstream: `127.0.0.1:${portalPort}`,
  });
  const name = instances.live.host;
  await edge.routeInstance({
    instanceId: instances.live.id,
    subdomain: name.split('.')[0] ?? '',
    upstream: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  });

  const res = await request(`https://127.0.0.1:${caddy.ports.https}/photos?x=1`, name);
  assert.equal(res.status, 200);
  assert.equal(res.body, `photo app for ${name} /photos?x=1`);

  const plain = await request(`http://127.0.0.1:${caddy.ports.http}/photos?x=1`, name);
  assert.equal(plain.status, 308);
  // To the standard port: Caddy takes its configured HTTPS port for one the outside reaches as 443.
  assert.equal(plain.headers.location, `https://${name}/photos?x=1`);
});

test('the portal answers at the apex and at portal.<domain>; its ask endpoint is not reachable through the edge', async () => {
  for (const host of [DOMAIN, `portal.${DOMAIN}`]) {
    const res = await request(`https://127.0.0.1:${caddy.ports.https}/healthz`, host);
    assert.equal(res.status, 200, host);
  }
  const before = asks.length;
  const res = await request(
    `https://127.0.0.1:${caddy.ports.https}/v1/edge/tls-ask?domain=${instances.live.host}`,
    `portal.${DOMAIN}`,
  );
  assert.equal(res.status, 404);
  assert.equal(asks.length, before, 'the request never reached the portal');
});
