// Benchmark (issue 18): the jobs that grow with the fleet — usage sync, the quota re-split after a plan change and
// reconcile planning — over N instances' worth of rows (BENCH_SIZES, default 100 and 1,000), printing instances per
// second, the cost per instance, and the ratio of the per-instance cost at the largest N to the smallest (linear
// scaling: about 1).
//
// The activities' own code paths are called directly (syncInstanceUsage, refreshInstanceQuotas,
// listInstancesToReconcile, listInstancesForUsageSync), not through Temporal: the same functions a worker runs, so
// the figures are the activities' cost without a Temporal round trip per instance. Each job runs twice over the same
// fleet in the same run: one instance at a time (what the schedule's workflow did before issue 18) and with
// BENCH_CONCURRENCY instances at a time. With BENCH_BASELINE_MEMBER_ACTIVITIES=<path of a copy of
// member.activities.ts as it was, placed next to it>, that copy runs first in the same run ("before"). The table
// also shows the time spent waiting for the photo app and the SQL statements sent, per instance.
//
// The photo apps are ONE stand-in process (tests/photo-app-standin) in its bench-only tenant mode
// (STANDIN_TENANTS=1): every instance is its own tenant under /t/<name>/, with its own admin, API key and users.
// Every instance row carries the stand-in's port as its app port; the activities' photoApp factory (an injected
// dependency, as in the worker) adds the tenant's path for the API key it is given.
//
// Each instance has BENCH_MEMBERS members (the owner included), each a user in its photo app. Before a usage-sync
// pass every member's recorded usage is moved off by one byte (so each pass copies every member's usage, as on a
// live fleet); before a re-split pass the plan's storage changes (so every member's effective limit moves and is
// pushed).
//
// Needs PostgreSQL only (and Go for the stand-in):
//   node --import tsx infra/src/with-postgres.ts --run bench/fleet-jobs.bench.ts    or    npm run bench -- bench/fleet-jobs.bench.ts
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { createMemberActivities } from '../apps/provisioner/src/activities/index.ts';
import { createLifecycleActivities } from '../apps/provisioner/src/activities/lifecycle.activities.ts';
import { createImmichPhotoApp, type PhotoApp } from '../apps/provisioner/src/photo-app/index.ts';
import { createSecrets } from '../apps/provisioner/src/secrets.ts';

const sizes = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number);
const membersPerInstance = Number(process.env.BENCH_MEMBERS ?? 4);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const GIB = 1024n ** 3n;

/** Runs fn over items with at most `limit` at once; the first failure rejects (after the running ones settle). */
async function eachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failure ??= e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Figure {
  job: string;
  mode: string;
  n: number;
  ms: number;
  /** Summed over the calls (which overlap when several instances run at once). */
  appMs: number;
  statements: number;
  work: string;
}

async function main(): Promise<void> {
  const binary = execFileSync('sh', ['tests/photo-app-standin/build.sh'], { encoding: 'utf8' }).trim();
  const mediaDir = mkdtempSync(join(tmpdir(), 'photoplane-fleet-bench-'));
  const port = await freePort();
  const standin = spawn(binary, [], {
    env: {
      PATH: process.env.PATH ?? '',
      IMMICH_HOST: '127.0.0.1',
      IMMICH_PORT: String(port),
      IMMICH_MEDIA_LOCATION: mediaDir,
      STANDIN_TENANTS: '1',
      STANDIN_PBKDF2_ITERATIONS: '1000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const appBase = `http://127.0.0.1:${port}`;
  const db = await createTestDatabase();
  // As createPrismaClient makes it, plus a count of the statements it sends (per instance, in the table).
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: db.url, max: 10 }),
    log: [{ emit: 'event', level: 'query' }],
  });
  let statements = 0;
  (prisma as unknown as { $on(event: 'query', cb: () => void): void }).$on('query', () => {
    statements++;
  });
  try {
    for (let i = 0; ; i++) {
      const up = await fetch(`${appBase}/t/probe/api/server/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (i > 100) throw new Error('the stand-in did not start');
      await new Promise((r) => setTimeout(r, 100));
    }

    const secrets = createSecrets('bench-master-key-that-is-at-least-32-characters');
    // API key → the tenant's base URL: the one thing the bench adds to the worker's photoApp factory. Its fetch
    // also adds up the time spent waiting for the photo app, so the activities' own cost can be told from the
    // stand-in's (which writes its state file with an fsync on every change, as a database would).
    const tenantOfKey = new Map<string, string>();
    let appMs = 0;
    const timedFetch: typeof fetch = async (input, init) => {
      const start = performance.now();
      try {
        const res = await fetch(input, init);
        await res.clone().arrayBuffer();
        return res;
      } finally {
        appMs += performance.now() - start;
      }
    };
    const photoApp = (baseUrl: string, credentials?: { apiKey: string } | { accessToken: string }): PhotoApp => {
      if (baseUrl !== appBase) throw new Error(`unexpected app URL ${baseUrl}`);
      const tenant = credentials && 'apiKey' in credentials ? tenantOfKey.get(credentials.apiKey) : undefined;
      if (!tenant) throw new Error('the bench routes only API-key calls to a tenant');
      return createImmichPhotoApp({ baseUrl: `${appBase}/t/${tenant}`, fetch: timedFetch, ...credentials });
    };
    const deps = { prisma, secrets, photoApp } as unknown as Parameters<typeof createLifecycleActivities>[0];
    const members = createMemberActivities({ prisma, secrets, photoApp });
    // Before and after in one run: the member activities as they were (a copy of the file at the start of the
    // change, put next to it), run the same way.
    const baselinePath = process.env.BENCH_BASELINE_MEMBER_ACTIVITIES;
    const baseline = baselinePath
      ? (
          (await import(resolve(baselinePath))) as { createMemberActivities: typeof createMemberActivities }
        ).createMemberActivities({ prisma, secrets, photoApp })
      : undefined;
    const modes = [
      ...(baseline ? [{ label: 'before, 1 at a time', impl: baseline, limit: 1 }] : []),
      { label: '1 at a time', impl: members, limit: 1 },
      { label: `${concurrency} at a time`, impl: members, limit: concurrency },
    ];
    const lifecycle = createLifecycleActivities(deps);

    const plan = await prisma.plan.create({
      data: { id: 'bench', name: 'Bench', storageBytes: 1024n * GIB, stripePriceId: 'price_bench', priceCents: 1 },
    });
    const host = await prisma.dockerHost.create({ data: { name: 'bench-host', endpoint: 'unix:///nowhere' } });

    /** Adds instances number `from` … `to - 1`, each with its own tenant in the stand-in. */
    async function addInstances(from: number, to: number): Promise<void> {
      const numbers = Array.from({ length: to - from }, (_, k) => from + k);
      await eachBounded(numbers, 16, async (k) => {
        const tenant = `i${k}`;
        const open = createImmichPhotoApp({ baseUrl: `${appBase}/t/${tenant}` });
        const owner = { email: `owner-${k}@example.com`, name: `Owner ${k}`, password: `pw-${k}-bench-1234` };
        await open.signUpAdmin(owner);
        const session = await open.login(owner);
        const key = await createImmichPhotoApp({
          baseUrl: `${appBase}/t/${tenant}`,
          accessToken: session.accessToken,
        }).createApiKey('photoplane');
        tenantOfKey.set(key.secret, tenant);
        const admin = createImmichPhotoApp({ baseUrl: `${appBase}/t/${tenant}`, apiKey: key.secret });
        const users = [];
        for (let m = 1; m < membersPerInstance; m++) {
          users.push(
            await admin.createUser({
              email: `member-${m}-${k}@example.com`,
              name: `Member ${m}`,
              password: `pw-${m}-${k}-bench-1234`,
              quotaBytes: null,
              shouldChangePassword: false,
            }),
          );
        }
        const account = await prisma.account.create({
          data: { email: owner.email, emailNormalized: owner.email, passwordHash: 'not-used' },
        });
        const subscription = await prisma.subscription.create({
          data: { accountId: account.id, planId: plan.id, state: 'active' },
        });
        await prisma.instance.create({
          data: {
            subscriptionId: subscription.id,
            subdomain: `bench-${k}`,
            state: 'active',
            dockerHostId: host.id,
            imageRef: 'photo-app:bench',
            appHostPort: port,
            photoAppApiKeyCipher: secrets.encrypt(key.secret),
            photoAppOwnerId: session.userId,
            members: {
              create: [
                {
                  email: owner.email,
                  emailNormalized: owner.email,
                  name: owner.name,
                  role: 'owner',
                  status: 'active',
                  photoAppUserId: session.userId,
                },
                ...users.map((u, m) => ({
                  email: u.email,
                  emailNormalized: u.email,
                  name: `Member ${m + 1}`,
                  status: 'active' as const,
                  photoAppUserId: u.id,
                })),
              ],
            },
          },
        });
      });
    }

    const figures: Figure[] = [];
    async function timed(job: string, mode: string, n: number, run: () => Promise<string>): Promise<void> {
      const start = performance.now();
      appMs = 0;
      const statementsBefore = statements;
      const work = await run();
      figures.push({
        job,
        mode,
        n,
        ms: performance.now() - start,
        appMs,
        statements: statements - statementsBefore,
        work,
      });
    }

    let planGib = 1024n;
    let have = 0;
    for (const n of sizes) {
      const setupStart = performance.now();
      await addInstances(have, n);
      have = n;
      process.stderr.write(`fleet of ${n}: set up in ${((performance.now() - setupStart) / 1000).toFixed(1)} s\n`);
      // One pass to bring every photo app in line first (the owners' limits, every member's recorded limit).
      const all = await members.listInstancesForUsageSync();
      await eachBounded(all, concurrency, (instanceId) => members.syncInstanceUsage({ instanceId }));

      for (const { label: mode, impl, limit } of modes) {
        await prisma.$executeRaw`UPDATE member SET "usageBytes" = "usageBytes" + 1`;
        await timed('usage sync', mode, n, async () => {
          let updated = 0;
          let pushed = 0;
          const ids = await impl.listInstancesForUsageSync();
          if (ids.length !== n) throw new Error(`listed ${ids.length} instances, expected ${n}`);
          await eachBounded(ids, limit, async (instanceId) => {
            const r = await impl.syncInstanceUsage({ instanceId });
            updated += r.membersUpdated;
            pushed += r.limitsPushed;
          });
          if (updated !== n * membersPerInstance)
            throw new Error(`${updated} usages copied, expected ${n * membersPerInstance}`);
          return `${updated} usages copied, ${pushed} limits pushed`;
        });
      }

      for (const { label: mode, impl, limit } of modes) {
        planGib = planGib === 1024n ? 2048n : 1024n;
        await prisma.plan.update({ where: { id: plan.id }, data: { storageBytes: planGib * GIB } });
        await timed('quota re-split', mode, n, async () => {
          let pushed = 0;
          const ids = await impl.listInstancesForUsageSync();
          await eachBounded(ids, limit, async (instanceId) => {
            const r = await impl.refreshInstanceQuotas({ instanceId });
            if (!r.ran) throw new Error(`instance ${instanceId} skipped`);
            pushed += r.limitsPushed;
          });
          if (pushed !== n * membersPerInstance)
            throw new Error(`${pushed} limits pushed, expected ${n * membersPerInstance}`);
          return `${pushed} limits pushed`;
        });
      }

      const rounds = 5;
      await lifecycle.listInstancesToReconcile({});
      await timed('reconcile planning', `${rounds} listings`, n, async () => {
        for (let r = 0; r < rounds; r++) {
          const planned = await lifecycle.listInstancesToReconcile({});
          if (planned.length !== n) throw new Error(`planned ${planned.length} instances, expected ${n}`);
        }
        return `${n} instances planned ×${rounds}`;
      });
      figures[figures.length - 1]!.ms /= rounds;
      figures[figures.length - 1]!.statements /= rounds;
    }

    const lines = [
      '',
      `Fleet jobs: ${membersPerInstance} members per instance, photo apps = one stand-in in tenant mode, activities called directly`,
      '  job                  mode                         N   instances/s   ms/instance   app ms/instance   SQL/instance   work',
    ];
    for (const f of figures) {
      lines.push(
        `  ${f.job.padEnd(20)} ${f.mode.padEnd(24)} ${String(f.n).padStart(6)} ${(f.n / (f.ms / 1000)).toFixed(1).padStart(13)} ${(f.ms / f.n).toFixed(3).padStart(13)} ${(f.appMs / f.n).toFixed(3).padStart(17)} ${(f.statements / f.n).toFixed(1).padStart(14)}   ${f.work}`,
      );
    }
    const small = Math.min(...sizes);
    const large = Math.max(...sizes);
    lines.push(
      `  per-instance cost at N = ${large} / at N = ${small} (linear scaling: about 1)    wall   in the photo app`,
    );
    for (const f of figures.filter((x) => x.n === large)) {
      const base = figures.find((x) => x.n === small && x.job === f.job && x.mode === f.mode)!;
      const appRatio = base.appMs > 0 ? (f.appMs / f.n / (base.appMs / base.n)).toFixed(2) : '-';
      lines.push(
        `  ${f.job.padEnd(20)} ${f.mode.padEnd(24)} ${''.padEnd(28)} ${(f.ms / f.n / (base.ms / base.n)).toFixed(2).padStart(6)} ${appRatio.padStart(18)}`,
      );
    }
    const load = loadavg().map((l) => l.toFixed(1));
    lines.push(`  load average at the end: ${load.join(' ')}`);
    process.stdout.write(lines.join('\n') + '\n\n');
  } finally {
    standin.kill('SIGTERM');
    await prisma.$disconnect();
    await db.drop();
    rmSync(mediaDir, { recursive: true, force: true });
  }
}

await main();
