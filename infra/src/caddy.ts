// Caddy for the stack: the edge that routes <sub>.<domain> to each instance. It starts with one empty HTTP server;
// the provisioner adds and removes routes through the admin API, so the config file here never names an instance.
import fs from 'node:fs';
import path from 'node:path';
import { CADDY, ensureGoTool } from './go-tools.ts';
import { say } from './log.ts';
import { portAnswers, startProcess, waitFor } from './process.ts';

/** The id of the HTTP server the provisioner adds its routes to. */
export const CADDY_SERVER_ID = 'photoplane';

export interface Caddy {
  readonly adminUrl: string;
  readonly httpUrl: string;
  readonly httpPort: number;
  stop(): Promise<void>;
}

export async function ensureCaddy(opts: {
  toolsDir: string;
  adminPort: number;
  httpPort: number;
  logDir: string;
  /** Config file, storage and Caddy's XDG folders; Caddy writes nothing outside it. */
  dataDir: string;
}): Promise<Caddy> {
  for (const port of [opts.adminPort, opts.httpPort]) {
    if (await portAnswers(port)) throw new Error(`port ${port} is already in use (another Caddy?); stop it first`);
  }
  const binary = await ensureGoTool(CADDY, opts.toolsDir);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const config = {
    admin: {
      listen: `127.0.0.1:${opts.adminPort}`,
      // Routes belong to the database's instances and are re-applied by the provisioner; an autosaved copy
      // would only resurrect stale ones.
      config: { persist: false },
    },
    storage: { module: 'file_system', root: path.join(opts.dataDir, 'storage') },
    apps: {
      http: {
        // Open keep-alive connections must not hold up stopping the stack.
        grace_period: '2s',
        servers: {
          [CADDY_SERVER_ID]: {
            listen: [`127.0.0.1:${opts.httpPort}`],
            // Local and test use: plain HTTP, no certificates to obtain.
            automatic_https: { disable: true },
            routes: [],
          },
        },
      },
    },
  };
  const configFile = path.join(opts.dataDir, 'caddy.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const env = {
    ...process.env,
    HOME: opts.dataDir,
    XDG_DATA_HOME: path.join(opts.dataDir, 'data'),
    XDG_CONFIG_HOME: path.join(opts.dataDir, 'config'),
  };
  const logFile = path.join(opts.logDir, 'caddy.log');
  const proc = startProcess('caddy', binary, ['run', '--config', configFile], { env, logFile, stopSignal: 'SIGTERM' });
  const adminUrl = `http://127.0.0.1:${opts.adminPort}`;
  try {
    await waitFor(
      `Caddy's admin API on ${adminUrl} (log: ${logFile})`,
      // The admin API can answer a moment before the HTTP server listens. fetch sends Sec-Fetch-Mode, for which
      // Caddy demands an allowed Origin (its guard against browsers).
      async () =>
        (await fetch(`${adminUrl}/config/`, { headers: { origin: adminUrl }, signal: AbortSignal.timeout(1000) })).ok &&
        (await portAnswers(opts.httpPort)),
      { timeoutMs: 30_000, intervalMs: 200, exited: proc.exited },
    );
  } catch (e) {
    await proc.stop();
    throw e;
  }
  const httpUrl = `http://127.0.0.1:${opts.httpPort}`;
  say('caddy', `admin API ${adminUrl}, HTTP ${httpUrl} (${binary})`);
  return { adminUrl, httpUrl, httpPort: opts.httpPort, stop: () => proc.stop() };
}
