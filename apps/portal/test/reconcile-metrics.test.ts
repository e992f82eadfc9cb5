// The last reconcile's drift as a metric (SPEC F2) over the real PostgreSQL: each host's newest reconcile run, as the
// worker's reconcileInstancesWorkflow records it, is what `/metrics` reports; every subject is present (0 when in
// line), older runs and other hosts do not leak into a host's figures. The recording itself is checked against the
// real workflow in apps/provisioner/test/reconcile.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startHarness, type Harness } from './members-harness.ts';
import { parseSamples, sampleValue, type PromSample } from './support/prometheus-text.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined });
});

after(async () => {
  await h?.close();
});

async function scrape(): Promise<PromSample[]> {
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  return parseSamples(res.body);
}

test("each host's last reconcile run: when, how many instances it checked and could not repair, and the drift by subject", async () => {
  const [a, b] = [`ha${randomBytes(3).toString('hex')}`, `hb${randomBytes(3).toString('hex')}`];
  const old = new Date(Date.now() - 600_000);
  const last = new Date(Math.floor(Date.now() / 1000) * 1000 - 5_000);
  await h.prisma.reconcileRun.createMany({
    data: [
      { hostName: a, finishedAt: old, checked: 9, failed: 3, drift: { app: 7, route: 4 } },
      {
        hostName: a,
        finishedAt: last,
        checked: 4,
        failed: 1,
        drift: { app: 2, 'photo-app-config': 1 },
        skipped: [{ instanceId: 'i-1', reason: 'restore in place running since 2026-12-02T00:00:00.000Z' }],
      },
      { hostName: b, finishedAt: last, checked: 2, failed: 0, drift: {} },
    ],
  });
  const samples = await scrape();
  const v = (name: string, labels: Record<string, string>) => sampleValue(samples, name, labels);
  assert.equal(v('photoplane_reconcile_last_run_timestamp_seconds', { host: a }), last.getTime() / 1000);
  assert.equal(v('photoplane_reconcile_last_checked_instances', { host: a }), 4);
  assert.equal(v('photoplane_reconcile_last_failed_instances', { host: a }), 1);
  assert.equal(v('photoplane_reconcile_last_drift', { host: a, subject: 'app' }), 2);
  assert.equal(v('photoplane_reconcile_last_drift', { host: a, subject: 'photo-app-config' }), 1);
  assert.equal(v('photoplane_reconcile_last_drift', { host: a, subject: 'route' }), 0, 'the older run is not counted');
  const present = (host: string, subject: string) =>
    samples.some(
      (s) => s.name === 'photoplane_reconcile_last_drift' && s.labels.host === host && s.labels.subject === subject,
    );
  for (const subject of ['db', 'cache', 'app', 'route', 'photo-app-config'])
    assert.ok(present(b, subject), `${b} ${subject}`);
  for (const subject of ['db', 'cache', 'app', 'route', 'photo-app-config'])
    assert.equal(v('photoplane_reconcile_last_drift', { host: b, subject }), 0, `${b} ${subject} in line`);
  assert.equal(v('photoplane_reconcile_last_failed_instances', { host: b }), 0);
  assert.equal(v('photoplane_reconcile_last_skipped_instances', { host: a }), 1, 'left alone during its restore');
  assert.equal(v('photoplane_reconcile_last_skipped_instances', { host: b }), 0);
});
