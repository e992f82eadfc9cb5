// Benchmark (issue 13, item 6): 1,000 concurrent unauthenticated password requests (sign-in with unknown addresses,
// each an argon2id verify of 19 MiB) against the portal's auth routes over the real PostgreSQL, while autocannon
// measures /healthz. Printed against a baseline of the same run: /healthz p99 and the process's RSS with no load,
// then under the flood, once with the bounded hashing queue the server uses (PASSWORD_HASHING_CONCURRENCY /
// PASSWORD_HASHING_QUEUE defaults) and once with the bound lifted (what the portal did before). The per-address
// rate limits are off here (every request comes from 127.0.0.1): this measures what is left when an attacker has
// enough addresses to stay under them. The flood runs in a worker thread (its own event loop), so the portal's
// loop is not also busy generating load; RSS is the whole process's (portal and load generator).
//
// Run: npm run bench -- bench/password-flood.bench.ts   (BENCH_SECONDS=5, BENCH_FLOOD=1000 by default)
import { Worker } from 'node:worker_threads';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import autocannon from 'autocannon';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { readPortalConfig } from '../apps/portal/src/config.ts';
import { createPortal } from '../apps/portal/src/portal.ts';
import {
  DEFAULT_HASHING_LIMITS,
  defaultHashingConcurrency,
  type HashingLimits,
} from '../apps/portal/src/platform/hashing-queue.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const flood = Number(process.env.BENCH_FLOOD ?? 1000);

interface Measured {
  p99: number;
  rps: number;
  rssMiB: number;
  statuses: Record<string, number>;
}

async function healthz(url: string) {
  const result = await autocannon({ url: `${url}/healthz`, connections: 4, duration: seconds });
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`/healthz: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { p99: result.latency.p99, rps: result.requests.average };
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
  return `  ${label.padEnd(36)} ${m.p99.toFixed(1).padStart(8)} ${m.rps.toFixed(0).padStart(9)} ${m.rssMiB.toFixed(0).padStart(9)}   ${answers}`;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  try {
    // Before: refused only once the body was parsed and the account looked up. Now: refused before the body is read
    // while the queue is full. Then the same with one core left to the event loop (defaultHashingConcurrency).
    const before = await measure(DEFAULT_HASHING_LIMITS, db.url, false);
    const bounded = await measure(DEFAULT_HASHING_LIMITS, db.url, true);
    const spare = { ...DEFAULT_HASHING_LIMITS, concurrency: defaultHashingConcurrency() };
    const oneCoreFree = await measure(spare, db.url, true);
    const unbounded = await measure({ concurrency: 1_000_000, maxWaiting: 1_000_000 }, db.url, false);
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
  } finally {
    await db.drop();
  }
}

await main();
