// Caddy for the stack: the edge that routes <sub>.<domain> to each instance. It starts with one empty HTTP server;
// the provisioner adds and removes routes through the admin API, so the config file here never names an instance.
// The stack's edge is plain HTTP; the production config (HTTPS, on-demand TLS) is rendered by edge-config.ts.
// Locally it also listens on a unix socket in a folder of its own: containers cannot resolve *.localhost to the
// edge, so the worker bind-mounts that folder into every photo app, which dials the socket for its outgoing
// requests (the OpenID provider at its own instance host) as if DNS had led it to the edge.
import fs from 'node:fs';
import path from 'node:path';
import { CADDY_SERVER_ID, publicRateLimitRoute, unavailableRoute, type EdgeRateLimit } from './edge-config.ts';
import { CADDY, ensureGoTool } from './go-tools.ts';
import { say } from './log.ts';
import { portAnswers, startProcess, waitFor, type ManagedProcess } from './process.ts';

/** The id of the HTTP server the provisioner adds its routes to. */
export { CADDY_SERVER_ID } from './edge-config.ts';

export interface Caddy {
  readonly adminUrl: string;
  readonly httpUrl: string;
  readonly httpPort: number;
  /** The same server on a unix socket (PHOTOPLANE_EDGE_SOCKET), alone in its folder. */
  readonly edgeSocket: string;
  stop(): Promise<void>;
}

/** A unix socket path longer than this does not fit in sockaddr_un (108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;

export async function ensureCaddy(opts: {
  toolsDir: string;
  adminPort: number;
  httpPort: number;
  logDir: string;
  /** Config file, storage and Caddy's XDG folders; Caddy writes nothing outside it. */
  dataDir: string;
  /**
   * The edge's per-address limit on the members' public pages under /photoplane (the production edge limits the
   * portal's public API too; locally the portal is not behind Caddy). Null or absent: none.
   */
  publicRateLimit?: EdgeRateLimit | null;
}): Promise<Caddy> {
  for (const port of [opts.adminPort, opts.httpPort]) {
    if (await portAnswers(port)) throw new Error(`port ${port} is already in use (another Caddy?); stop it first`);
  }
  // Nothing else in that folder: it is mounted into every instance's photo app.
  const edgeSocket = path.join(opts.dataDir, 'edge-socket', 'edge.sock');
  if (Buffer.byteLength(edgeSocket) > MAX_SOCKET_PATH)
    throw new Error(`the edge socket path ${edgeSocket} is too long for a unix socket; use a shorter data folder`);
  fs.mkdirSync(path.dirname(edgeSocket), { recursive: true, mode: 0o755 });
  fs.rmSync(edgeSocket, { force: true }); // left by a killed run
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
            listen: [`127.0.0.1:${opts.httpPort}`, `unix/${edgeSocket}`],
            // Local and test use: plain HTTP, no certificates to obtain.
            automatic_https: { disable: true },
            // First, not terminal: the limiter in front of whichever instance route answers. The provisioner
            // inserts instance routes before the catch-all "unavailable" page.
            routes: [...(opts.publicRateLimit ? [publicRateLimitRoute(opts.publicRateLimit)] : []), unavailableRoute()],
          },
        },
      },
    },
  };
  const adminUrl = `http://127.0.0.1:${opts.adminPort}`;
  const proc = await runCaddy({
    toolsDir: opts.toolsDir,
    config,
    dataDir: opts.dataDir,
    logDir: opts.logDir,
    adminUrl,
    ports: [opts.httpPort],
    sockets: [edgeSocket],
  });
  const httpUrl = `http://127.0.0.1:${opts.httpPort}`;
  say('caddy', `admin API ${adminUrl}, HTTP ${httpUrl} (${proc.binary})`);
  say('caddy', `the same server on ${edgeSocket} (for photo-app containers)`);
  return { adminUrl, httpUrl, httpPort: opts.httpPort, edgeSocket, stop: () => proc.stop() };
}

/**
 * Runs Caddy with `config` (written to `<dataDir>/caddy.json`) until its admin API answers at `adminUrl` and every
 * port in `ports` accepts connections. Caddy's home and XDG folders are inside `dataDir`, so it writes nothing
 * elsewhere; its output goes to `<logDir>/caddy.log`.
 */
export async function runCaddy(opts: {
  /** The Caddy binary is built there once (see go-tools.ts). */
  toolsDir: string;
  config: unknown;
  dataDir: string;
  logDir: string;
  adminUrl: string;
  ports: number[];
  /** Unix sockets that must exist before Caddy counts as started. */
  sockets?: string[];
}): Promise<ManagedProcess & { binary: string }> {
  const binary = await ensureGoTool(CADDY, opts.toolsDir);
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const configFile = path.join(opts.dataDir, 'caddy.json');
  fs.writeFileSync(configFile, JSON.stringify(opts.config, null, 2));
  const env = {
    ...process.env,
    HOME: opts.dataDir,
    XDG_DATA_HOME: path.join(opts.dataDir, 'data'),
    XDG_CONFIG_HOME: path.join(opts.dataDir, 'config'),
  };
  const logFile = path.join(opts.logDir, 'caddy.log');
  const proc = startProcess('caddy', binary, ['run', '--config', configFile], {
    env,
    logFile,
    stopSignal: 'SIGTERM',
  });
  try {
    await waitFor(
      `Caddy's admin API on ${opts.adminUrl} (log: ${logFile})`,
      // The admin API can answer a moment before the servers listen. fetch sends Sec-Fetch-Mode, for which
      // Caddy demands an allowed Origin (its guard against browsers).
      async () =>
        (
          await fetch(`${opts.adminUrl}/config/`, {
            headers: { origin: opts.adminUrl },
            signal: AbortSignal.timeout(1000),
          })
        ).ok &&
        (await Promise.all(opts.ports.map((p) => portAnswers(p)))).every(Boolean) &&
        (opts.sockets ?? []).every((s) => fs.existsSync(s)),
      { timeoutMs: 30_000, intervalMs: 200, exited: proc.exited },
    );
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return Object.assign(proc, { binary });
}
