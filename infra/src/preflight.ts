// Checks made before the stack starts anything: what would make it fail half-way is found at once and said in one
// line each, with the fix (no Docker Engine and no root, no Go toolchain, a port taken, not enough disk).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { StackConfig } from './config.ts';
import { CADDY, findGo, findOnPath, goToolBinary, RESTIC, STRIPE_MOCK, TEMPORAL_CLI } from './go-tools.ts';
import { StackProblem } from './problem.ts';

const GiB = 1024 ** 3;

/** One problem per line; the stack stops when there is any. */
export async function preflight(config: StackConfig, mode: 'start' | 'test'): Promise<StackProblem[]> {
  const problems: StackProblem[] = [];
  const docker = await dockerProblem(config);
  if (docker) problems.push(docker);
  if (!findGo()) {
    problems.push(
      new StackProblem(
        'no Go toolchain: `go` is neither on PATH nor at /usr/local/go/bin/go (the stack builds its test image, Caddy, stripe-mock and the Temporal CLI with it)',
        'install Go 1.26 or newer (Debian: apt-get install golang-go, if recent enough) and put its bin folder on PATH',
      ),
    );
  }
  if (mode === 'start') problems.push(...(await portProblems(config)));
  problems.push(...diskProblems(config));
  return problems;
}

async function dockerProblem(config: StackConfig): Promise<StackProblem | undefined> {
  if (config.dockerHost) return undefined; // checked when the stack connects, with its own error
  const socket = '/var/run/docker.sock';
  if (fs.existsSync(socket)) {
    try {
      await new Docker({ socketPath: socket, timeout: 3000 }).ping();
      return undefined;
    } catch {
      // not answering: as root the stack starts its own
    }
  }
  if (process.platform === 'linux' && process.getuid?.() === 0) return undefined;
  return new StackProblem(
    `no Docker Engine answers at ${socket}, and only root can start one of the stack's own`,
    'start Docker (and make its socket yours), set DOCKER_HOST to a running engine, or run npm start / npm test as root',
  );
}

/** Whether 127.0.0.1:port can be bound: a listener on 0.0.0.0 or 127.0.0.1 makes it fail. */
async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** "pid 123 (temporal)" for the process listening on `port`, read from /proc; undefined when it cannot be told. */
export function whoListens(port: number): string | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; column 9 is the socket's inode.
      if (cols[3] === '0A' && parseInt(cols[1]?.split(':')[1] ?? '', 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  if (!inodes.size) return undefined;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return `pid ${pid} (${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()})`;
      }
    } catch {
      // gone, or not ours to look at
    }
  }
  return undefined;
}

async function portProblems(config: StackConfig): Promise<StackProblem[]> {
  const ports: { port: number; what: string; variable: string }[] = [
    { port: config.portalPort, what: 'the portal', variable: 'PORTAL_PORT' },
    { port: config.caddyAdminPort, what: "Caddy's admin API", variable: 'PHOTOPLANE_CADDY_ADMIN_PORT' },
    { port: config.caddyHttpPort, what: 'the edge (Caddy HTTP)', variable: 'PHOTOPLANE_CADDY_HTTP_PORT' },
    { port: config.stripeMockPort, what: 'stripe-mock', variable: 'PHOTOPLANE_STRIPE_MOCK_PORT' },
    { port: config.smtpPort, what: 'the SMTP catcher', variable: 'PHOTOPLANE_SMTP_PORT' },
  ];
  if (!config.databaseUrl)
    ports.push({ port: config.postgresPort, what: 'PostgreSQL', variable: 'PHOTOPLANE_POSTGRES_PORT' });
  if (!config.temporalAddress) {
    ports.push({ port: config.temporalPort, what: 'Temporal', variable: 'PHOTOPLANE_TEMPORAL_PORT' });
    ports.push({
      port: config.temporalPort + 1000,
      what: "Temporal's UI (the Temporal port + 1000)",
      variable: 'PHOTOPLANE_TEMPORAL_PORT',
    });
  }
  const problems: StackProblem[] = [];
  for (const [i, a] of ports.entries()) {
    const b = ports.slice(i + 1).find((other) => other.port === a.port);
    if (b)
      problems.push(
        new StackProblem(
          `${a.what} and ${b.what} would both listen on port ${a.port}`,
          `give one of them another port (${a.variable}${a.variable === b.variable ? '' : ` or ${b.variable}`})`,
        ),
      );
  }
  for (const { port, what, variable } of ports) {
    if (await portFree(port)) continue;
    const holder = whoListens(port);
    problems.push(
      new StackProblem(
        `port ${port} (${what}) is already in use${holder ? ` by ${holder}` : ''}`,
        `stop that program (an earlier npm start?), or set ${variable} to a free port`,
      ),
    );
  }
  return problems;
}

/** The nearest existing folder at or above `p`, whose filesystem a folder at `p` would be made on. */
function existingAncestor(p: string): string {
  let d = path.resolve(p);
  while (!fs.existsSync(d) && d !== path.dirname(d)) d = path.dirname(d);
  return d;
}

function diskProblems(config: StackConfig): StackProblem[] {
  const needs: { where: string; bytes: number; what: string; fix: string }[] = [
    {
      where: config.dataDir,
      bytes: 1 * GiB,
      what: 'the data folder (PostgreSQL, Docker images and volumes, logs)',
      fix: 'free some space, or set PHOTOPLANE_DATA_DIR to a folder on a larger disk',
    },
  ];
  if (!config.databaseUrl && process.getuid?.() === 0)
    needs.push({
      where: config.postgresRoot,
      bytes: 0.25 * GiB,
      what: "PostgreSQL's binaries and clusters",
      fix: 'free some space, or set PHOTOPLANE_POSTGRES_ROOT to a root-owned folder on a larger disk',
    });
  const tools = [CADDY, STRIPE_MOCK, RESTIC];
  if (!config.temporalAddress && !config.temporalCli && !findOnPath('temporal')) tools.push(TEMPORAL_CLI);
  const toBuild = tools.filter((t) => !fs.existsSync(goToolBinary(t, config.toolsDir)));
  if (toBuild.length)
    needs.push({
      // `go install` fills Go's module and build caches, under the home folder by default.
      where: os.homedir(),
      bytes: 3 * GiB,
      what: `building ${toBuild.map((t) => t.name).join(', ')} with Go (Go's caches)`,
      fix: 'free some space in the home folder, or set GOMODCACHE and GOCACHE to folders on a larger disk',
    });
  // Needs on one filesystem add up.
  const byDevice = new Map<number, { free: number; needs: typeof needs }>();
  for (const need of needs) {
    const at = existingAncestor(need.where);
    const dev = fs.statSync(at).dev;
    if (!byDevice.has(dev)) {
      const st = fs.statfsSync(at);
      byDevice.set(dev, { free: st.bavail * st.bsize, needs: [] });
    }
    byDevice.get(dev)!.needs.push(need);
  }
  const problems: StackProblem[] = [];
  for (const { free, needs: here } of byDevice.values()) {
    const total = here.reduce((sum, n) => sum + n.bytes, 0);
    if (free >= total) continue;
    const first = here[0]!;
    problems.push(
      new StackProblem(
        `not enough disk space for ${here.map((n) => n.what).join(' and ')}: ${(free / GiB).toFixed(1)} GiB free on the filesystem of ${first.where}, about ${(total / GiB).toFixed(1)} GiB needed`,
        first.fix,
      ),
    );
  }
  return problems;
}
