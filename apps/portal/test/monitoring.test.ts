// Issue 15: the alert rules and the Grafana dashboard in infra/monitoring are checked by Prometheus's own promtool
// (built by `npm test` like the other Go tools): the rules parse (`check rules`) and fire exactly on the series
// their unit tests give (`test rules`); every query of the dashboard parses as PromQL; and every photoplane_* metric
// they name is one the portal really exports (its registry), so a renamed metric cannot leave a silent alert.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createPrismaClient } from '@photoplane/db';
import { createFleetMetricsRepository } from '../src/platform/fleet-metrics.repository.ts';
import { createPortalMetrics } from '../src/platform/metrics.service.ts';

const run = promisify(execFile);
const dir = path.resolve(import.meta.dirname, '..', '..', '..', 'infra', 'monitoring');
const promtool = process.env.PHOTOPLANE_TEST_PROMTOOL;

function need(): string {
  assert.ok(promtool, 'PHOTOPLANE_TEST_PROMTOOL is not set: run the tests through `npm test`, which builds promtool');
  return promtool;
}

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

const dashboard = JSON.parse(fs.readFileSync(path.join(dir, 'dashboard.json'), 'utf8')) as Dashboard;
const rulesText = fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8');

test('the alert rules pass promtool check rules and their unit tests', async () => {
  const checked = await run(need(), ['check', 'rules', 'alerts.yml'], { cwd: dir });
  assert.match(checked.stdout, /SUCCESS: \d+ rules found/);
  const tested = await run(need(), ['test', 'rules', 'alerts.test.yml'], { cwd: dir });
  assert.match(tested.stdout + tested.stderr, /SUCCESS/);
});

test('every dashboard query parses as PromQL (as recording rules, through promtool)', async () => {
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  assert.ok(exprs.length >= 10);
  const rules = [
    'groups:',
    '  - name: dashboard',
    '    rules:',
    ...exprs.flatMap((expr, i) => [`      - record: dashboard:panel_${i}`, `        expr: ${JSON.stringify(expr)}`]),
  ].join('\n');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-dashboard-'));
  try {
    fs.writeFileSync(path.join(tmp, 'dashboard-rules.yml'), rules);
    const checked = await run(need(), ['check', 'rules', 'dashboard-rules.yml'], { cwd: tmp });
    assert.match(checked.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('every photoplane_* metric the rules and the dashboard name is one the portal exports', async () => {
  // The real repository over a client that never connects: only the metric names are listed, nothing is collected
  // (Prisma opens a connection at the first query).
  const prisma = createPrismaClient('postgresql://photoplane@127.0.0.1:1/unused');
  const metrics = createPortalMetrics({ fleet: createFleetMetricsRepository(prisma), log: { error: () => undefined } });
  const exported = new Set<string>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    exported.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) exported.add(name + s);
  }
  const text = rulesText + JSON.stringify(dashboard);
  const named = new Set(text.match(/photoplane_[a-z_]+/g) ?? []);
  assert.ok(named.size >= 8);
  for (const name of named) assert.ok(exported.has(name), `${name} is named in infra/monitoring but not exported`);
  await prisma.$disconnect();
});
