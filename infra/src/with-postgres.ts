// `node --import tsx infra/src/with-postgres.ts FILE...` runs test files that need PostgreSQL only (no Temporal,
// Docker or Caddy) against a throw-away cluster with the migrated template, without taking the stack's lock; with
// `--run`, one script instead of `node --test` (the PostgreSQL-only benchmarks). NODE_ARGS adds node flags to that
// child (e.g. `--cpu-prof`). The cluster and its folder under the data folder (.data/) are removed when it ends.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { migrateDeploy } from '@photoplane/db';
import { readStackConfig } from './config.ts';
import { ensurePostgres } from './postgres.ts';

const args = process.argv.slice(2);
const script = args[0] === '--run';
const files = script ? args.slice(1) : args;
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx infra/src/with-postgres.ts [--run] FILE...\n');
  process.exit(2);
}

const port = await new Promise<number>((resolve) => {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(free));
  });
});
const config = readStackConfig();
const root = path.join(config.dataDir, `with-postgres-${process.pid}`);
const postgres = await ensurePostgres({
  databaseUrl: undefined,
  dataDir: path.join(root, 'postgres'),
  port,
  logDir: root,
  postgresRoot: config.postgresRoot,
  throwAway: true,
});
let code: number;
try {
  await migrateDeploy(await postgres.ensureDatabase('photoplane_template'));
  const nodeArgs = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...nodeArgs, ...(script ? [] : ['--test', '--test-concurrency=1']), ...files],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        PHOTOPLANE_TEST_SERVER_URL: postgres.adminUrl,
        PHOTOPLANE_TEST_TEMPLATE_DB: 'photoplane_template',
      },
    },
  );
  // Interrupted: the child is told, and the cluster is still stopped below once it has ended.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  code = await new Promise<number>((resolve) => child.on('exit', (status) => resolve(status ?? 1)));
} finally {
  await postgres.stop();
  await rm(root, { recursive: true, force: true });
}
process.exit(code);
