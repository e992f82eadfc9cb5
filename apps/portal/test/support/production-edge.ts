// The production edge (infra/src/edge-config.ts) run for real in front of a test's portal: Caddy, built with the
// project's own module, with Caddy's internal CA instead of a public one and high ports on 127.0.0.1. Used by the
// edge tests that need the whole production config, not one route of it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCaddy } from '@photoplane/infra/caddy';
import { renderEdgeConfig, type EdgeConfigOptions } from '@photoplane/infra/edge-config';
import { freePort, waitFor } from '../../../../infra/src/process.ts';

export interface ProductionEdge {
  ports: { admin: number; http: number; https: number };
  adminUrl: string;
  /** Caddy's storage: its local CA and the certificates it issued. */
  storageDir: string;
  /** The root certificate of Caddy's local CA, the one thing clients trust. */
  rootCa: string;
  /** Stops Caddy and removes its files. */
  stop(): Promise<void>;
}

/** The options a test may add to the production config; the rest is fixed to what runs on this machine. */
export type ProductionEdgeExtras = Omit<
  EdgeConfigOptions,
  'domain' | 'portalUpstream' | 'issuer' | 'adminListen' | 'listenHost' | 'httpPort' | 'httpsPort' | 'storageDir'
>;

export async function startProductionEdge(opts: {
  domain: string;
  portalPort: number;
  extra?: ProductionEdgeExtras;
}): Promise<ProductionEdge> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-edge-'));
  const storageDir = path.join(dataDir, 'storage');
  const ports = { admin: await freePort(), http: await freePort(), https: await freePort() };
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  let caddy: Awaited<ReturnType<typeof runCaddy>> | undefined;
  const stop = async () => {
    await caddy?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    caddy = await runCaddy({
      toolsDir: process.env.PHOTOPLANE_TOOLS_DIR ?? path.join(os.homedir(), '.cache/photoplane/tools'),
      config: renderEdgeConfig({
        domain: opts.domain,
        portalUpstream: `127.0.0.1:${opts.portalPort}`,
        issuer: { kind: 'internal' },
        adminListen: `127.0.0.1:${ports.admin}`,
        listenHost: '127.0.0.1',
        httpPort: ports.http,
        httpsPort: ports.https,
        storageDir,
        ...opts.extra,
      }),
      dataDir,
      logDir: dataDir,
      adminUrl,
      ports: [ports.http, ports.https],
    });
    // Caddy's local CA is made when it first issues (the portal's names, at start).
    const rootFile = path.join(storageDir, 'pki', 'authorities', 'local', 'root.crt');
    const rootCa = await waitFor(`Caddy's local root certificate ${rootFile}`, async () =>
      fs.existsSync(rootFile) ? fs.readFileSync(rootFile, 'utf8') : undefined,
    );
    return { ports, adminUrl, storageDir, rootCa, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
