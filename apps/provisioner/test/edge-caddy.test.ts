// The edge/ layer against a real Caddy started for this file, with small HTTP servers in this process playing two
// instances and the portal. Requests go to Caddy's HTTP port with the Host header a browser would send.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ensureCaddy, type Caddy } from '../../../infra/src/caddy.ts';
import { RATE_LIMIT_ROUTE_ID, UNAVAILABLE_ROUTE_ID } from '../../../infra/src/edge-config.ts';
import { freePort } from '../../../infra/src/process.ts';
import { CaddyAdminError, createCaddyEdge, InvalidRouteError, type CaddyEdge } from '../src/edge/index.ts';
import { buildRoute, FALLBACK_ROUTE_ID } from '../src/edge/routes.ts';

const DOMAIN = 'photos.test';
const SERVER_ID = 'photoplane';

let caddy: Caddy;
let edge: CaddyEdge;
let dataDir: string;
const upstreams: { a: string; b: string; portal: string } = { a: '', b: '', portal: '' };
const servers: http.Server[] = [];
let seq = 0;

/** Answers with its name and the Host it was asked for, so a test can tell who answered and for whom. */
async function startUpstream(name: string): Promise<string> {
  const server = http.createServer((req, res) =>
    res.end(req.url === '/' ? `${name} ${req.headers.host ?? ''}` : `${name} ${req.headers.host ?? ''} ${req.url}`),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * fetch may not set Host, so node:http; no agent, so no kept-alive connection outlives a config change. A connection
 * the old config accepted while Caddy switches to a new one can be reset (seen on a loaded machine right after an
 * admin change); that is tried once more, since what is tested is what the new config answers.
 */
async function getThroughCaddy(host: string, path = '/'): Promise<{ status: number; body: string }> {
  try {
    return await getOnce(host, path);
  } catch (e) {
    if (!/ECONNRESET|socket hang up/.test(String(e))) throw e;
    await new Promise((r) => setTimeout(r, 200));
    return getOnce(host, path);
  }
}

function getOnce(host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: caddy.httpPort, path, headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A POST as a form in a browser would send it, from a loopback address of the caller's choice. */
function postThroughCaddy(
  host: string,
  path: string,
  from: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: caddy.httpPort,
        path,
        method: 'POST',
        localAddress: from,
        headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end('email=someone%40example.com');
  });
}

function newInstance(): { instanceId: string; subdomain: string; host: string } {
  const n = `${process.pid}-${++seq}`;
  return { instanceId: `edge-${n}`, subdomain: `sub-${n}`, host: `sub-${n}.${DOMAIN}` };
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-caddy-test-'));
  caddy = await ensureCaddy({
    toolsDir: process.env.PHOTOPLANE_TOOLS_DIR ?? path.join(os.homedir(), '.cache/photoplane/tools'),
    adminPort: await freePort(),
    httpPort: await freePort(),
    logDir: dataDir,
    dataDir,
    // The stack's edge limit on the members' public pages, small enough to reach here (only POSTs count).
    publicRateLimit: { events: 3, windowSeconds: 60, burst: 3 },
  });
  upstreams.a = await startUpstream('upstream-a');
  upstreams.b = await startUpstream('upstream-b');
  upstreams.portal = await startUpstream('portal');
  edge = createCaddyEdge({
    adminUrl: caddy.adminUrl,
    serverId: SERVER_ID,
    domain: DOMAIN,
    portalUpstream: upstreams.portal,
  });
});

after(async () => {
  await caddy?.stop();
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a routed subdomain answers through Caddy at <sub>.<domain> and reaches its own upstream', async () => {
  const i = newInstance();
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.a }), 'created');
  const res = await getThroughCaddy(i.host);
  assert.equal(res.status, 200);
  // The instance sees the customer's host, which it needs to build its own links.
  assert.equal(res.body, `upstream-a ${i.host}`);
});

test("the instance's /photoplane prefix reaches the portal, with the instance's host; everything else the app", async () => {
  const i = newInstance();
  await edge.routeInstance({ ...i, upstream: upstreams.a });
  for (const path of ['/photoplane', '/photoplane/', '/photoplane/x', '/photoplane/.well-known/openid-configuration']) {
    assert.equal((await getThroughCaddy(i.host, path)).body, `portal ${i.host} ${path}`, path);
  }
  for (const path of ['/api/server/ping', '/photoplanes', '/x/photoplane', '/auth/login']) {
    assert.equal((await getThroughCaddy(i.host, path)).body, `upstream-a ${i.host} ${path}`, path);
  }
});

test('a route written before the prefix existed is brought up to date in place', async () => {
  const i = newInstance();
  // The old shape: the whole host to the app.
  // Ahead of the catch-all, as the old worker's appended routes were before the edge had one.
  const admin = `${caddy.adminUrl}/config/apps/http/servers/${SERVER_ID}/routes/0`;
  const old = {
    '@id': `pp-route-${i.instanceId}`,
    match: [{ host: [i.host] }],
    handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: upstreams.a }] }],
    terminal: true,
  };
  const res = await fetch(admin, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', origin: caddy.adminUrl },
    body: JSON.stringify(old),
  });
  assert.equal(res.status, 200, await res.text());
  assert.equal((await getThroughCaddy(i.host, '/photoplane/x')).body, `upstream-a ${i.host} /photoplane/x`);
  const listed = (await edge.listRoutes()).find((r) => r.instanceId === i.instanceId);
  assert.deepEqual(listed, {
    instanceId: i.instanceId,
    host: i.host,
    upstream: upstreams.a,
    portalUpstream: undefined,
  });

  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.a }), 'updated');
  assert.equal((await getThroughCaddy(i.host, '/photoplane/x')).body, `portal ${i.host} /photoplane/x`);
  assert.equal((await edge.listRoutes()).filter((r) => r.instanceId === i.instanceId).length, 1);
});

test('without a portal upstream no route is written', async () => {
  const noPortal = createCaddyEdge({ adminUrl: caddy.adminUrl, serverId: SERVER_ID, domain: DOMAIN });
  const i = newInstance();
  await assert.rejects(noPortal.routeInstance({ ...i, upstream: upstreams.a }), (e: unknown) => {
    assert.ok(e instanceof InvalidRouteError);
    assert.match(e.message, /PORTAL_UPSTREAM/);
    return true;
  });
  assert.ok(!(await edge.listRoutes()).some((r) => r.instanceId === i.instanceId));
  assert.equal(await noPortal.unrouteInstance(i.instanceId), 'absent', 'unrouting needs no portal');
});

test('two subdomains reach two different upstreams', async () => {
  const one = newInstance();
  const two = newInstance();
  await edge.routeInstance({ ...one, upstream: upstreams.a });
  await edge.routeInstance({ ...two, upstream: upstreams.b });
  assert.equal((await getThroughCaddy(one.host)).body, `upstream-a ${one.host}`);
  assert.equal((await getThroughCaddy(two.host)).body, `upstream-b ${two.host}`);
});

test('an unknown host reaches no upstream', async () => {
  const routed = newInstance();
  await edge.routeInstance({ ...routed, upstream: upstreams.a });
  const res = await getThroughCaddy(`nobody-${process.pid}.${DOMAIN}`);
  assert.doesNotMatch(res.body, /upstream-/);
  // The edge's catch-all answers it: a short "unavailable" page, not an empty 200 or a 502 (issue 14).
  assert.equal(res.status, 503);
  assert.match(res.body, /This photo library is unavailable/);
});

test('instance routes go before the catch-all, also after it was unrouted and routed again', async () => {
  assert.equal(FALLBACK_ROUTE_ID, UNAVAILABLE_ROUTE_ID, "the worker's copy of the id is the edge config's");
  const i = newInstance();
  await edge.routeInstance({ ...i, upstream: upstreams.a });
  assert.equal((await getThroughCaddy(i.host)).body, `upstream-a ${i.host}`);
  await edge.unrouteInstance(i.instanceId);
  const suspended = await getThroughCaddy(i.host, '/share/some-key');
  assert.equal(suspended.status, 503);
  assert.match(suspended.body, /This photo library is unavailable/);
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.b }), 'created');
  assert.equal((await getThroughCaddy(i.host)).body, `upstream-b ${i.host}`);
  const ids = (
    (await (
      await fetch(`${caddy.adminUrl}/config/apps/http/servers/${SERVER_ID}/routes`, {
        headers: { origin: caddy.adminUrl },
      })
    ).json()) as {
      '@id': string;
    }[]
  ).map((r) => r['@id']);
  assert.equal(ids.at(-1), UNAVAILABLE_ROUTE_ID, 'the catch-all stays last');
});

test('a route found behind the catch-all (never reached) is put back in front of it', async () => {
  const i = newInstance();
  const behind = buildRoute({ ...i, upstream: upstreams.a }, DOMAIN, upstreams.portal);
  const res = await fetch(`${caddy.adminUrl}/config/apps/http/servers/${SERVER_ID}/routes/...`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: caddy.adminUrl },
    body: JSON.stringify([behind]),
  });
  assert.equal(res.status, 200, await res.text());
  assert.equal((await getThroughCaddy(i.host)).status, 503, 'behind the catch-all nothing reaches it');
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.a }), 'updated');
  assert.equal((await getThroughCaddy(i.host)).body, `upstream-a ${i.host}`);
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.a }), 'unchanged');
  assert.equal((await edge.listRoutes()).filter((r) => r.instanceId === i.instanceId).length, 1);
});

test('routing the same instance twice leaves exactly one route', async () => {
  const i = newInstance();
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.a }), 'created');
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.a }), 'unchanged');
  const mine = (await edge.listRoutes()).filter((r) => r.instanceId === i.instanceId);
  assert.deepEqual(mine, [
    { instanceId: i.instanceId, host: i.host, upstream: upstreams.a, portalUpstream: upstreams.portal },
  ]);
});

test('re-routing an instance to a new upstream switches its traffic', async () => {
  const i = newInstance();
  await edge.routeInstance({ ...i, upstream: upstreams.a });
  assert.equal((await getThroughCaddy(i.host)).body, `upstream-a ${i.host}`);
  assert.equal(await edge.routeInstance({ ...i, upstream: upstreams.b }), 'updated');
  assert.equal((await getThroughCaddy(i.host)).body, `upstream-b ${i.host}`);
  assert.equal((await edge.listRoutes()).filter((r) => r.instanceId === i.instanceId).length, 1);
});

test('unrouting removes the route and unrouting again is a no-op', async () => {
  const i = newInstance();
  await edge.routeInstance({ ...i, upstream: upstreams.a });
  assert.equal(await edge.unrouteInstance(i.instanceId), 'removed');
  assert.doesNotMatch((await getThroughCaddy(i.host)).body, /upstream-/);
  assert.ok(!(await edge.listRoutes()).some((r) => r.instanceId === i.instanceId));
  assert.equal(await edge.unrouteInstance(i.instanceId), 'absent');
});

test("an error from Caddy's admin API carries Caddy's message", async () => {
  const wrongServer = createCaddyEdge({
    adminUrl: caddy.adminUrl,
    serverId: 'no-such-server',
    domain: DOMAIN,
    portalUpstream: upstreams.portal,
  });
  await assert.rejects(wrongServer.routeInstance({ ...newInstance(), upstream: upstreams.a }), (e: unknown) => {
    assert.ok(e instanceof CaddyAdminError);
    assert.ok(e.status !== undefined && e.status >= 400);
    assert.match(e.caddyMessage, /invalid traversal path.*no-such-server/);
    assert.match(e.message, /invalid traversal path/);
    return true;
  });
});

test('a malformed upstream is refused before it reaches Caddy', async () => {
  // Caddy itself accepts any dial string and would only fail on the first request, with a 502.
  const before = await edge.listRoutes();
  for (const upstream of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', 'http://127.0.0.1:80', ':80', 'a b:80']) {
    await assert.rejects(edge.routeInstance({ ...newInstance(), upstream }), InvalidRouteError, upstream);
  }
  assert.deepEqual(await edge.listRoutes(), before);
});

test('an unreachable Caddy is an error, never an absent route', async () => {
  const nowhere = createCaddyEdge({
    adminUrl: `http://127.0.0.1:${await freePort()}`,
    serverId: SERVER_ID,
    domain: DOMAIN,
  });
  await assert.rejects(nowhere.unrouteInstance(newInstance().instanceId), (e: unknown) => {
    assert.ok(e instanceof CaddyAdminError);
    assert.equal(e.status, undefined);
    return true;
  });
});

test("Caddy's unix socket (the photo apps' way to the edge on the local stack) routes by host like its port", async () => {
  const i = newInstance();
  await edge.routeInstance({ ...i, upstream: upstreams.a });
  const viaSocket = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        { socketPath: caddy.edgeSocket, path, headers: { host: `${i.host}:8080` }, agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.equal(
    await viaSocket('/photoplane/.well-known/openid-configuration'),
    `portal ${i.host}:8080 /photoplane/.well-known/openid-configuration`,
  );
  assert.equal(await viaSocket('/api/server/ping'), `upstream-a ${i.host}:8080 /api/server/ping`);
  // Alone in its folder: that folder is what gets mounted into every photo-app container.
  assert.deepEqual(fs.readdirSync(path.dirname(caddy.edgeSocket)), [path.basename(caddy.edgeSocket)]);
});

/** node:http through Caddy with a method, headers and a body; the answer's status, body and headers. */
function requestThroughCaddy(
  host: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: caddy.httpPort,
        path,
        method: opts.method ?? 'GET',
        headers: { host, ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('a request that may follow a shared link is asked of the portal first: its refusal is what the visitor gets, its yes lets the request through whole (issue 14)', async () => {
  // The portal's link check, played by a server that refuses whatever names BLOCKED and records what it was asked.
  const asked: {
    method: string;
    url: string;
    uri: string;
    host: string;
    bodyBytes: number;
    credentials: (string | undefined)[];
    linkToken: string | undefined;
  }[] = [];
  const checker = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      const uri = String(req.headers['x-forwarded-uri'] ?? '');
      const credentials = [
        req.headers.authorization,
        req.headers.cookie,
        req.headers['x-api-key'] as string | undefined,
      ];
      asked.push({
        method: req.method ?? '',
        url: req.url ?? '',
        uri,
        host: req.headers.host ?? '',
        bodyBytes,
        credentials,
        linkToken: req.headers['x-photoplane-link-token'] as string | undefined,
      });
      if (req.url?.startsWith('/photoplane')) return res.end(`portal ${req.url}`);
      if (uri.includes('BLOCKED') || req.headers['x-immich-share-key'] === 'BLOCKED') {
        res.writeHead(451, { 'content-type': 'text/html', link: '<http://portal>; rel="blocked-by"' });
        return res.end(`taken down ${uri}`);
      }
      res.writeHead(204).end();
    });
  });
  // The photo app, played by a server that says what reached it, body included.
  const app = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    // The member's credentials, when any, as the app got them.
    req.on('end', () =>
      res.end(
        `app ${req.method} ${req.url} ${bodyBytes}${req.headers.authorization ? ` ${req.headers.authorization}` : ''}`,
      ),
    );
  });
  servers.push(checker, app);
  for (const s of [checker, app]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const dial = (s: http.Server) => `127.0.0.1:${(s.address() as AddressInfo).port}`;
  const linkEdge = createCaddyEdge({
    adminUrl: caddy.adminUrl,
    serverId: SERVER_ID,
    domain: DOMAIN,
    portalUpstream: dial(checker),
  });
  const i = newInstance();
  await linkEdge.routeInstance({ ...i, upstream: dial(app) });

  for (const [path, headers] of [
    ['/share/BLOCKED', {}],
    ['/share/BLOCKED/photos/1234', {}],
    ['/s/BLOCKED', {}],
    ['/api/shared-links/me?key=BLOCKED', {}],
    ['/api/assets/1/thumbnail?size=preview&slug=BLOCKED', {}],
    ['/api/assets/1/original?k%65y=BLOCKED', {}],
    ['/api/assets', { 'x-immich-share-key': 'BLOCKED' }],
  ] as const) {
    const res = await requestThroughCaddy(i.host, path, { headers });
    assert.equal(res.status, 451, `${path}: ${res.body}`);
    assert.equal(res.body, `taken down ${path}`, 'the portal answer, as it gave it');
    assert.equal(res.headers.link, '<http://portal>; rel="blocked-by"');
    const last = asked.at(-1)!;
    assert.deepEqual([last.method, last.url, last.host], ['GET', '/v1/edge/link-check', i.host], path);
  }
  // Another link of the same instance goes through, with its method and body whole; the check got neither.
  const body = Buffer.alloc(200_000, 7);
  const upload = await requestThroughCaddy(i.host, '/api/assets?key=other', {
    method: 'POST',
    body,
    headers: {
      authorization: 'Bearer member-token',
      cookie: 'immich_access_token=member-token; immich_shared_link_token=unlocked-link',
      'x-api-key': 'k',
      'x-photoplane-link-token': 'forged',
    },
  });
  assert.equal(upload.body, `app POST /api/assets?key=other ${body.length} Bearer member-token`);
  assert.deepEqual(
    [asked.at(-1)!.method, asked.at(-1)!.uri, asked.at(-1)!.bodyBytes, asked.at(-1)!.credentials],
    ['GET', '/api/assets?key=other', 0, [undefined, undefined, undefined]],
    "the check gets neither the body nor the visitor's credentials for the app",
  );
  // Only the link's own cookie (Immich's, set when a visitor unlocks a protected link) reaches the check, in a header
  // the visitor cannot set themselves.
  assert.equal(asked.at(-1)!.linkToken, 'unlocked-link');
  assert.equal((await requestThroughCaddy(i.host, '/share/other')).body, 'app GET /share/other 0');
  // The rest of the app is not asked about; the prefix is still the portal's.
  const before = asked.length;
  assert.equal(
    (await requestThroughCaddy(i.host, '/api/albums?shared=true')).body,
    'app GET /api/albums?shared=true 0',
  );
  assert.equal((await requestThroughCaddy(i.host, '/api/server/ping')).body, 'app GET /api/server/ping 0');
  assert.equal(asked.length, before, 'no check for requests without a share credential');
  assert.equal((await requestThroughCaddy(i.host, '/photoplane/account')).body, 'portal /photoplane/account');
});

test("the stack's edge limits the members' public pages per address ahead of every instance route, and nothing of the photo app", async () => {
  const i = newInstance();
  await edge.routeInstance({ ...i, upstream: upstreams.a });
  const ids = (
    (await (
      await fetch(`${caddy.adminUrl}/config/apps/http/servers/${SERVER_ID}/routes`, {
        headers: { origin: caddy.adminUrl },
      })
    ).json()) as { '@id': string }[]
  ).map((r) => r['@id']);
  // (An earlier test put a hand-written route at index 0; the provisioner itself inserts before the catch-all.)
  assert.ok(
    ids.indexOf(RATE_LIMIT_ROUTE_ID) >= 0 && ids.indexOf(RATE_LIMIT_ROUTE_ID) < ids.indexOf(`pp-route-${i.instanceId}`),
    `the limit comes before the instance's route: ${ids.join(', ')}`,
  );
  const from = '127.0.0.41';
  for (let n = 0; n < 3; n++) {
    const res = await postThroughCaddy(i.host, '/photoplane/register', from);
    assert.equal(res.body, `portal ${i.host} /photoplane/register`, `try ${n + 1} reaches the portal`);
  }
  const refused = await postThroughCaddy(i.host, '/photoplane/forgot', from);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.equal(refused.headers['retry-after'], '20');
  // Every admin API change reloads Caddy's whole config (the workers route instances all the time): the address's
  // bucket survives it.
  await edge.routeInstance({ ...newInstance(), upstream: upstreams.b });
  assert.equal((await postThroughCaddy(i.host, '/photoplane/register', from)).status, 429, 'after a config reload');
  // The photo app's own API is the app's business: never limited at the edge.
  for (let n = 0; n < 6; n++)
    assert.equal((await postThroughCaddy(i.host, '/api/assets', from)).body, `upstream-a ${i.host} /api/assets`);
  // Another address is not held back by this one.
  const other = await postThroughCaddy(i.host, '/photoplane/forgot', '127.0.0.42');
  assert.equal(other.body, `portal ${i.host} /photoplane/forgot`);
});
