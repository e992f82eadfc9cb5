// Temporal for the stack: TEMPORAL_ADDRESS if given, else the Temporal CLI's dev server. The CLI binary comes
// from TEMPORAL_CLI, else `temporal` on PATH, else a build from source cached in the tools folder, else the
// TypeScript SDK's own download (which needs the internet).
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEMPORAL_CLI, ensureGoTool, findOnPath } from './go-tools.ts';
import { say } from './log.ts';
import { portAnswers, startProcess, waitFor } from './process.ts';

export interface Temporal {
  readonly address: string;
  readonly namespace: string;
  readonly uiUrl: string | undefined;
  stop(): Promise<void>;
}

async function namespaceReady(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

export async function findTemporalCli(opts: {
  temporalCli: string | undefined;
  toolsDir: string;
}): Promise<string | undefined> {
  if (opts.temporalCli) return opts.temporalCli;
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  try {
    return await ensureGoTool(TEMPORAL_CLI, opts.toolsDir);
  } catch (e) {
    say('temporal', `could not build the Temporal CLI (${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

export async function ensureTemporal(opts: {
  temporalAddress: string | undefined;
  temporalCli: string | undefined;
  toolsDir: string;
  port: number;
  /** Persist workflows across restarts (npm start); tests use an in-memory server. */
  dbFile: string | undefined;
  uiPort: number | undefined;
  logDir: string;
}): Promise<Temporal> {
  const namespace = 'default';
  if (opts.temporalAddress) {
    await waitFor(`Temporal at ${opts.temporalAddress}`, () => namespaceReady(opts.temporalAddress!, namespace), {
      timeoutMs: 15_000,
    });
    say('temporal', `using TEMPORAL_ADDRESS ${opts.temporalAddress} (not started by the stack)`);
    return { address: opts.temporalAddress, namespace, uiUrl: undefined, stop: async () => undefined };
  }

  const cli = await findTemporalCli(opts);
  if (!cli) {
    say('temporal', 'falling back to the SDK-downloaded dev server (needs the internet)');
    const env = await TestWorkflowEnvironment.createLocal();
    const address = env.connection.options.address;
    return { address, namespace: env.namespace ?? namespace, uiUrl: undefined, stop: () => env.teardown() };
  }

  const address = `127.0.0.1:${opts.port}`;
  if (await portAnswers(opts.port)) {
    throw new Error(`port ${opts.port} is already in use (another Temporal?); stop it or set PHOTOPLANE_TEMPORAL_PORT`);
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', namespace];
  args.push('--log-level', 'warn');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  const logFile = path.join(opts.logDir, 'temporal.log');
  const proc = startProcess('temporal', cli, args, { logFile, stopSignal: 'SIGTERM' });
  await waitFor(`the Temporal dev server on ${address} (log: ${logFile})`, () => namespaceReady(address, namespace), {
    timeoutMs: 60_000,
    intervalMs: 300,
    exited: proc.exited,
    logFile,
  });
  const uiUrl = opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined;
  say('temporal', `dev server on ${address}${uiUrl ? `, UI ${uiUrl}` : ''} (${cli})`);
  return { address, namespace, uiUrl, stop: () => proc.stop() };
}
