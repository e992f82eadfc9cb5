// The stack's start-up as `npm test` runs it, up to a ready PostgreSQL, for tests/first-run.test.ts: run inside a
// fresh clone, it checks the machine, makes the run's folder and starts the run's cluster, prints where it is as one
// JSON line, and on SIGTERM stops everything it started, as the stack does.
import { readStackConfig } from '@photoplane/infra/config';
import { describeFailure } from '@photoplane/infra/problem';
import { checkMachine, prepareRunRoot, startRunPostgres, stopAll, type Stopper } from '@photoplane/infra';

const stoppers: Stopper[] = [];
let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  void stopAll(stoppers).finally(() => process.exit(code));
};
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(130));

try {
  const config = readStackConfig();
  await checkMachine(config, 'test');
  const run = prepareRunRoot(config, 'test', stoppers);
  const postgres = await startRunPostgres(config, 'test', run, stoppers);
  process.stdout.write(
    `${JSON.stringify({ adminUrl: postgres.adminUrl, dataDir: postgres.dataDir, runRoot: run.runRoot })}\n`,
  );
} catch (e) {
  process.stderr.write(`${describeFailure(e)}\n`);
  stop(1);
}
