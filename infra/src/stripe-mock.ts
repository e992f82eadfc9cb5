// stripe-mock (Stripe's official API mock) for tests and `npm start`: the real stripe-node client talks to it over
// HTTP on 127.0.0.1. Built once from source with `go install` into the tools cache.
import fs from 'node:fs';
import path from 'node:path';
import { ensureGoTool, STRIPE_MOCK } from './go-tools.ts';
import { say } from './log.ts';
import { portAnswers, startProcess, waitFor } from './process.ts';

export interface StripeMock {
  /** For `new Stripe(key, { host, port, protocol: 'http' })`. */
  readonly host: string;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export async function ensureStripeMock(opts: { toolsDir: string; port: number; logDir: string }): Promise<StripeMock> {
  if (await portAnswers(opts.port)) throw new Error(`port ${opts.port} is already in use (another stripe-mock?)`);
  const binary = await ensureGoTool(STRIPE_MOCK, opts.toolsDir);
  const logFile = path.join(opts.logDir, 'stripe-mock.log');
  // Given only an HTTP address, stripe-mock still opens HTTPS on its default port 12112 (and dies if that is taken,
  // e.g. by a second stack). Its HTTPS side goes to a unix socket nobody uses instead.
  const httpsSocket = path.join(opts.logDir, `stripe-mock-${opts.port}.https.sock`);
  // A stripe-mock that was killed leaves its socket file, and the next one cannot bind it. The port check above
  // says no stripe-mock of this port runs, so the file is stale.
  fs.rmSync(httpsSocket, { force: true });
  const proc = startProcess(
    'stripe-mock',
    binary,
    ['-http-addr', `127.0.0.1:${opts.port}`, '-https-unix', httpsSocket],
    { logFile },
  );
  const url = `http://127.0.0.1:${opts.port}`;
  await waitFor(
    `stripe-mock on ${url} (log: ${logFile})`,
    async () => (await fetch(`${url}/v1/customers`, { headers: { authorization: 'Bearer sk_test_123' } })).ok,
    { timeoutMs: 30_000, exited: proc.exited, logFile },
  );
  say('stripe-mock', `on ${url} (${binary})`);
  return {
    host: '127.0.0.1',
    port: opts.port,
    url,
    stop: async () => {
      await proc.stop();
      fs.rmSync(httpsSocket, { force: true });
    },
  };
}
