// Benchmark (issue 13, item 6): 1,000 concurrent unauthenticated password requests (sign-in with unknown addresses,
// each an argon2id verify of 19 MiB) against the portal's auth routes over the real PostgreSQL, while autocannon
// measures /healthz. Printed against a baseline of the same run: /healthz p99 and the process's RSS with no load,
// then under the flood, once with the bounded hashing queue the server uses (PASSWORD_HASHING_CONCURRENCY /
// PASSWORD_HASHING_QUEUE defaults) and once with the bound lifted (what the portal did before). The per-address
// rate limits are off here (every request comes from 127.0.0.1): this measures what is left when an attacker has
// enough addresses to stay under them. The flood runs in a worker thread (its own event loop), so the portal's
// loop is not also busy generating load; RSS is the whole process's (portal and load generator).
//
// Then the same flood through the edge (a Caddy built from infra/caddy, plain HTTP on 127.0.0.1, the portal's public
// actions behind the edge's per-address limit route from infra/src/edge-config.ts), in the same run: without the
// limit, and with it (the production default, 60 a minute, 20 at once) for a flood from one address and from
// BENCH_ADDRESSES addresses (127.1.x.y, distinct client addresses to Caddy), then the latter with a cap on the total
// as well (--public-total-limit 20/1s). /healthz is measured through the edge too; RSS is this process's (portal and
// load generator) and, separately, Caddy's.
//
// Run: npm run bench -- bench/password-flood.bench.ts   (BENCH_SECONDS=5, BENCH_FLOOD=1000, BENCH_ADDRESSES=100)
// BENCH_PARTS=edge runs only the edge rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import autocannon from 'autocannon';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { runCaddy } from '../infra/src/caddy.ts';
import { DEFAULT_EDGE_RATE_LIMIT, publicRateLimitRoute, type EdgeRateLimit } from '../infra/src/edge-config.ts';
import { freePort } from '../infra/src/process.ts';
import { readPortalConfig } from '../apps/portal/src/config.ts';
import { createPortal } from '../apps/portal/src/portal.ts';
import {
  DEFAULT_HASHING_LIMITS,
  defaultHashingConcurrency,
  type HashingLimits,
} from '../apps/portal/src/platform/hashing-queue.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const flood = Number(process.env.BENCH_FLOOD ?? 1000);
const manyAddresses = Number(process.env.BENCH_ADDRESSES ?? 100);
const parts = process.env.BENCH_PARTS ?? 'all';
const EDGE_HOST = 'portal.bench.test';
/** The edge's optional cap on all addresses together (--public-total-limit), for the last row. */
const TOTAL: EdgeRateLimit = { events: 20, windowSeconds: 1, burst: 20 };

interface Measured {
  p99: number;
  rps: number;
  /** /healthz requests that did not answer 200, of `total`. */
  failed: number;
  total: number;
  rssMiB: number;
  statuses: Record<string, number>;
}

async function healthz(url: string, host?: string) {
  const result = await autocannon({
    url: `${url}/healthz`,
    connections: 4,
    duration: seconds,
    ...(host ? { headers: { host } } : {}),
  });
  // Directly, /healthz must always answer 200. Through the edge, a flooded portal can make Caddy answer 502 (it could
  // not reach the portal in time): that is counted and shown, since it is what a monitor would see.
  if (!host && (result.errors > 0 || result.non2xx > 0))
    throw new Error(`/healthz: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return {
    p99: result.latency.p99,
    rps: result.requests.average,
    failed: result.errors + result.non2xx,
    total: result.requests.total + result.errors,
  };
}

// The worker's code, plain JavaScript (a worker thread gets no TypeScript loader on Node 20): keeps `count` sign-in
// requests in flight until told to stop, then posts the answers by status.
const FLOOD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
let done = false;
parentPort.once('message', () => (done = true));
const statuses = {};
async function one() {
  while (!done) {
    const res = await fetch(workerData.url + '/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'nobody-' + randomBytes(6).toString('hex') + '@example.com',
        password: randomBytes(18).toString('base64url'),
      }),
    }).catch(() => null);
    const key = res ? String(res.status) : 'error';
    statuses[key] = (statuses[key] || 0) + 1;
    if (res) await res.arrayBuffer();
  }
}
Promise.all(Array.from({ length: workerData.count }, one)).then(() => parentPort.postMessage(statuses));
`;

/** Runs the flood in a worker thread until `until` resolves; the answers by status. */
async function keepFlooding(url: string, until: Promise<unknown>): Promise<Record<string, number>> {
  const worker = new Worker(FLOOD_WORKER, { eval: true, workerData: { url, count: flood } });
  const statuses = new Promise<Record<string, number>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await until;
  worker.postMessage('stop');
  const result = await statuses;
  await worker.terminate();
  return result;
}

// The edge's flood: like FLOOD_WORKER, through Caddy with the portal's Host, each request from one of
// `addresses` local addresses (round robin over the requests in flight), which Caddy sees as client addresses.
const EDGE_FLOOD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
const http = require('node:http');
let done = false;
parentPort.once('message', () => (done = true));
const statuses = {};
// One kept-alive agent per address: a new connection per request would run one address out of ephemeral ports.
const agents = new Map();
const agentFor = (localAddress) => {
  if (!agents.has(localAddress)) agents.set(localAddress, new http.Agent({ keepAlive: true, localAddress }));
  return agents.get(localAddress);
};
function post(localAddress) {
  return new Promise((resolve) => {
    const body = JSON.stringify({
      email: 'nobody-' + randomBytes(6).toString('hex') + '@example.com',
      password: randomBytes(18).toString('base64url'),
    });
    const req = http.request(
      {
        host: '127.0.0.1', port: workerData.port, path: '/v1/auth/login', method: 'POST', agent: agentFor(localAddress),
        headers: { host: workerData.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => { res.resume(); res.on('end', () => resolve(String(res.statusCode))); },
    );
    req.on('error', () => resolve('error'));
    req.end(body);
  });
}
async function one(i) {
  const address = workerData.addresses[i % workerData.addresses.length];
  while (!done) {
    const key = await post(address);
    statuses[key] = (statuses[key] || 0) + 1;
  }
}
Promise.all(Array.from({ length: workerData.count }, (_, i) => one(i))).then(() => parentPort.postMessage(statuses));
`;

async function keepFloodingEdge(
  port: number,
  addresses: string[],
  until: Promise<unknown>,
): Promise<Record<string, number>> {
  const worker = new Worker(EDGE_FLOOD_WORKER, {
    eval: true,
    workerData: { port, host: EDGE_HOST, addresses, count: flood },
  });
  const statuses = new Promise<Record<string, number>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await until;
  worker.postMessage('stop');
  const result = await statuses;
  await worker.terminate();
  return result;
}

function rssOfMiB(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : NaN;
}

/** `127.1.x.y` for n addresses: loopback, so the kernel accepts each as a source without configuration. */
function loopbackAddresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
}

/**
 * The portal (server defaults: bounded hashing, early 503; its own per-address limits off, as above) behind a Caddy
 * of this run, with or without the edge's limit; the flood from `addresses`.
 */
async function measureEdge(
  databaseUrl: string,
  limit: EdgeRateLimit | null,
  addresses: string[],
  total: EdgeRateLimit | null = null,
): Promise<{ idle: Measured; loaded: Measured; caddyRssMiB: { idle: number; loaded: number } }> {
  const prisma = createPrismaClient(databaseUrl);
  const config = {
    ...readPortalConfig({ DATABASE_URL: databaseUrl, JWT_SECRET: 'bench-secret-that-is-at-least-32-characters' }),
    loginAttemptsPerMinute: 10_000_000,
    loginAttemptsPerAddressPerMinute: 10_000_000,
    loginAccountDelayMs: 0,
  };
  const portal = await createPortal(
    { config, prisma, logger: pino({ level: 'silent' }) },
    { mailTransport: nodemailer.createTransport({ jsonTransport: true }), publicRateLimit: null },
  );
  const { app } = portal;
  const portalUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-bench-edge-'));
  const adminPort = await freePort();
  const httpPort = await freePort();
  const caddy = await runCaddy({
    toolsDir: process.env.PHOTOPLANE_TOOLS_DIR ?? path.join(os.homedir(), '.cache/photoplane/tools'),
    config: {
      admin: { listen: `127.0.0.1:${adminPort}`, config: { persist: false } },
      storage: { module: 'file_system', root: path.join(dataDir, 'storage') },
      apps: {
        http: {
          servers: {
            bench: {
              listen: [`127.0.0.1:${httpPort}`],
              automatic_https: { disable: true },
              routes: [
                ...(limit ? [publicRateLimitRoute(limit, [EDGE_HOST], total)] : []),
                {
                  match: [{ host: [EDGE_HOST] }],
                  handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: new URL(portalUrl).host }] }],
                  terminal: true,
                },
              ],
            },
          },
        },
      },
    },
    dataDir,
    logDir: dataDir,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    ports: [httpPort],
  });
  const edgeUrl = `http://127.0.0.1:${httpPort}`;
  let peak = 0;
  let caddyPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    caddyPeak = Math.max(caddyPeak, rssOfMiB(caddy.pid));
  }, 25);
  try {
    await autocannon({ url: `${edgeUrl}/healthz`, connections: 4, duration: 1, headers: { host: EDGE_HOST } });
    global.gc?.();
    peak = process.memoryUsage().rss;
    caddyPeak = rssOfMiB(caddy.pid);
    const idle = { ...(await healthz(edgeUrl, EDGE_HOST)), rssMiB: peak / 2 ** 20, statuses: {} };
    const caddyIdle = caddyPeak;
    peak = process.memoryUsage().rss;
    const probe = new Promise((r) => setTimeout(r, 1000)).then(() => healthz(edgeUrl, EDGE_HOST));
    const statuses = await keepFloodingEdge(httpPort, addresses, probe);
    const loaded = { ...(await probe), rssMiB: peak / 2 ** 20, statuses };
    return { idle, loaded, caddyRssMiB: { idle: caddyIdle, loaded: caddyPeak } };
  } finally {
    clearInterval(sampler);
    await caddy.stop();
    await portal.close();
    await prisma.$disconnect();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `shed`: refuse public requests before their body is read while the hashing queue is full (the portal's default). */
async function measure(
  limits: HashingLimits,
  databaseUrl: string,
  shed: boolean,
): Promise<{ idle: Measured; loaded: Measured }> {
  const prisma = createPrismaClient(databaseUrl);
  // The server's wiring; the hashing bound and the sign-in limits are set past what the environment allows.
  const config = {
    ...readPortalConfig({ DATABASE_URL: databaseUrl, JWT_SECRET: 'bench-secret-that-is-at-least-32-characters' }),
    passwordHashing: limits,
    loginAttemptsPerMinute: 10_000_000,
    loginAttemptsPerAddressPerMinute: 10_000_000,
    loginAccountDelayMs: 0,
  };
  const portal = await createPortal(
    { config, prisma, logger: pino({ level: 'silent' }) },
    {
      mailTransport: nodemailer.createTransport({ jsonTransport: true }),
      publicRateLimit: null,
      ...(shed ? {} : { hashing: null }),
    },
  );
  const { app } = portal;
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  try {
    await autocannon({ url: `${url}/healthz`, connections: 4, duration: 1 }); // warm-up
    global.gc?.();
    peak = process.memoryUsage().rss;
    const idle = { ...(await healthz(url)), rssMiB: peak / 2 ** 20, statuses: {} };
    peak = process.memoryUsage().rss;
    // The flood gets a second to fill up before /healthz is measured.
    const probe = new Promise((r) => setTimeout(r, 1000)).then(() => healthz(url));
    const statuses = await keepFlooding(url, probe);
    const loaded = { ...(await probe), rssMiB: peak / 2 ** 20, statuses };
    return { idle, loaded };
  } finally {
    clearInterval(sampler);
    await portal.close();
    await prisma.$disconnect();
  }
}

function row(label: string, m: Measured) {
  const answers = Object.entries(m.statuses)
    .sort()
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  const failed = m.failed ? `   /healthz failed ${m.failed} of ${m.total}` : '';
  return `  ${label.padEnd(36)} ${m.p99.toFixed(1).padStart(8)} ${m.rps.toFixed(0).padStart(9)} ${m.rssMiB.toFixed(0).padStart(9)}   ${answers}${failed}`;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  try {
    if (parts === 'all' || parts === 'portal') await portalRows(db.url);
    if (parts === 'all' || parts === 'edge') await edgeRows(db.url);
  } finally {
    await db.drop();
  }
}

async function edgeRows(databaseUrl: string): Promise<void> {
  const limit = DEFAULT_EDGE_RATE_LIMIT;
  const spread = loopbackAddresses(manyAddresses);
  const open = await measureEdge(databaseUrl, null, spread);
  const one = await measureEdge(databaseUrl, limit, loopbackAddresses(1));
  const many = await measureEdge(databaseUrl, limit, spread);
  const capped = await measureEdge(databaseUrl, limit, spread, TOTAL);
  const caddy = (m: { caddyRssMiB: { idle: number; loaded: number } }) =>
    `  Caddy RSS MiB idle ${m.caddyRssMiB.idle.toFixed(0)}, flood ${m.caddyRssMiB.loaded.toFixed(0)}`;
  const rate = `${limit.events}/${limit.windowSeconds}s, burst ${limit.burst ?? limit.events}`;
  process.stdout.write(
    [
      '',
      `${flood} concurrent sign-in requests through the edge (Caddy, plain HTTP) for ${seconds} s; /healthz through the`,
      'edge with autocannon (4 connections) in the same run; RSS = peak of this process (portal + load generator)',
      '                                     /healthz    /healthz    RSS MiB   sign-in answers',
      '                                      p99 ms       req/s',
      row('idle (edge, no limit)', open.idle),
      row(`flood from ${manyAddresses} addresses, no limit`, open.loaded),
      caddy(open),
      row(`idle (edge limit ${rate})`, one.idle),
      row('flood from 1 address, edge limit', one.loaded),
      caddy(one),
      row(`idle (edge limit ${rate})`, many.idle),
      row(`flood from ${manyAddresses} addresses, edge limit`, many.loaded),
      caddy(many),
      row(`idle (+ total ${TOTAL.events}/${TOTAL.windowSeconds}s, burst ${TOTAL.burst})`, capped.idle),
      row(`flood from ${manyAddresses}, + total cap`, capped.loaded),
      caddy(capped),
      '',
    ].join('\n'),
  );
}

async function portalRows(databaseUrl: string): Promise<void> {
  // Before: refused only once the body was parsed and the account looked up. Now: refused before the body is read
  // while the queue is full. Then the same with one core left to the event loop (defaultHashingConcurrency).
  const before = await measure(DEFAULT_HASHING_LIMITS, databaseUrl, false);
  const bounded = await measure(DEFAULT_HASHING_LIMITS, databaseUrl, true);
  const spare = { ...DEFAULT_HASHING_LIMITS, concurrency: defaultHashingConcurrency() };
  const oneCoreFree = await measure(spare, databaseUrl, true);
  const unbounded = await measure({ concurrency: 1_000_000, maxWaiting: 1_000_000 }, databaseUrl, false);
  const { concurrency, maxWaiting } = DEFAULT_HASHING_LIMITS;
  process.stdout.write(
    [
      '',
      `${flood} concurrent sign-in requests with unknown addresses (argon2id verify each) for ${seconds} s; /healthz`,
      'measured with autocannon (4 connections) in the same run, RSS = peak of this process (portal + load generator)',
      '                                     /healthz    /healthz    RSS MiB   sign-in answers',
      '                                      p99 ms       req/s',
      row(`idle (before: ${concurrency} + ${maxWaiting}, late 503)`, before.idle),
      row('flood, before', before.loaded),
      row(`idle (now: ${concurrency} + ${maxWaiting}, early 503)`, bounded.idle),
      row('flood, now', bounded.loaded),
      row(`idle (${spare.concurrency} + ${maxWaiting}, early 503)`, oneCoreFree.idle),
      row('flood, a core left to the loop', oneCoreFree.loaded),
      row('idle (no bound)', unbounded.idle),
      row('flood, no bound', unbounded.loaded),
      '',
    ].join('\n'),
  );
}

await main();
