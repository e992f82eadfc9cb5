// The portal and the worker as the processes `npm start` runs (their own entry points, config from the environment
// the test stack exported), for end-to-end tests. Every process started here is stopped by stopAll().
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { startStripeProxy, type StripeProxy } from '@photoplane/infra/stripe-proxy';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

export interface Services {
  portalUrl: string;
  /**
   * The portal's Stripe: a proxy in front of the stack's stripe-mock that answers the objects a test puts (the
   * portal re-reads every object a webhook names, and stripe-mock keeps none) and records every call.
   */
  stripe: StripeProxy | undefined;
  /** The worker's Prometheus metrics (the Temporal SDK's), at WORKER_METRICS_ADDRESS. */
  workerMetricsUrl: string;
  /** Everything the processes printed, for failure messages. */
  output(): string;
  /** SIGTERM to each process, in start order; their exit codes. */
  stopAll(): Promise<(number | null)[]>;
}

export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** Starts the worker and the portal against `env` (DATABASE_URL, TEMPORAL_TASK_QUEUE …) and waits for /readyz. */
export async function startServices(env: NodeJS.ProcessEnv): Promise<Services> {
  let output = '';
  const children: ChildProcess[] = [];
  const start = (entry: string, extra: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    children.push(child);
    return child;
  };
  const port = await freePort();
  const portalUrl = `http://127.0.0.1:${port}`;
  const stripeApiUrl = env.STRIPE_API_URL ?? process.env.STRIPE_API_URL;
  const stripe = stripeApiUrl ? await startStripeProxy(stripeApiUrl) : undefined;
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const services: Services = {
    portalUrl,
    workerMetricsUrl: `http://${metricsAddress}/metrics`,
    stripe,
    output: () => output,
    stopAll: async () => {
      const codes: (number | null)[] = [];
      for (const child of children) codes.push(await stopProcess(child));
      await stripe?.close();
      return codes;
    },
  };
  // The worker's instance routes send <host>/photoplane* to this portal.
  start('apps/provisioner/src/worker.ts', {
    PORTAL_UPSTREAM: `127.0.0.1:${port}`,
    WORKER_METRICS_ADDRESS: metricsAddress,
    // The owner's export link (SPEC F1) the worker mails points at this portal.
    PORTAL_PUBLIC_URL: env.PORTAL_PUBLIC_URL ?? portalUrl,
  });
  start('apps/portal/src/server.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    ...(stripe ? { STRIPE_API_URL: stripe.url } : {}),
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${portalUrl}/readyz`)).ok) return services;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await services.stopAll();
      throw new Error(`the portal did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
