// The Docker Engine for the stack: DOCKER_HOST if given, else /var/run/docker.sock if it answers, else (as root on
// Linux) a dockerd of our own from Debian's docker.io, on its own socket, data root and exec root.
//
// Our dockerd runs with --bridge=none (no default bridge: containers must join a network we create) and with
// iptables ON: Docker's isolation chains are what keep two instances' networks apart; with --iptables=false
// a container on one network reaches containers on another. On top of Docker's rules the stack installs the tenant
// egress filter (tenant-firewall.ts) for the dockerd it starts; an engine it did not start is the operator's.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { findOnPath } from './go-tools.ts';
import { say, timedFirstRunStep } from './log.ts';
import { StackProblem } from './problem.ts';
import { run, startProcess, waitFor } from './process.ts';
import { installTenantFirewall } from './tenant-firewall.ts';

export interface DockerEngine {
  /** For DOCKER_HOST and dockerode: unix:///path/to/socket or tcp://host:port. */
  readonly host: string;
  readonly started: boolean;
  client(): Docker;
  stop(): Promise<void>;
}

/** A unix socket we name ourselves, or DOCKER_HOST as given (docker-modem reads it, TLS settings included). */
function dockerClient(host: string): Docker {
  return host.startsWith('unix://') ? new Docker({ socketPath: host.slice('unix://'.length) }) : new Docker();
}

async function answers(host: string): Promise<boolean> {
  await dockerClient(host).ping();
  return true;
}

async function installDockerIo(): Promise<void> {
  if (!findOnPath('apt-get'))
    throw new StackProblem(
      'dockerd is not installed and apt-get is not available to install it',
      'install a Docker Engine (dockerd) yourself, or set DOCKER_HOST to a running one',
    );
  say('docker', "installing Debian's docker.io (once per machine)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await timedFirstRunStep('docker', 'apt-get install docker.io', async () => {
    await run('apt-get', ['update', '-qq'], { env });
    await run(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', 'docker.io', 'iptables', 'busybox-static'],
      { env },
    );
  });
}

function iptablesSave(): string | undefined {
  try {
    return execFileSync('iptables-save', { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

export async function ensureDocker(opts: {
  dockerHost: string | undefined;
  /** Data root of our own dockerd (images, volumes). */
  dataRoot: string;
  /** Short folder for the socket, pid file and exec root (unix socket paths are limited to ~100 bytes). */
  runDir: string;
  logDir: string;
}): Promise<DockerEngine> {
  const given = opts.dockerHost ?? (fs.existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
  if (given) {
    try {
      await waitFor(`the Docker Engine at ${given}`, () => answers(given), { timeoutMs: 5000 });
      say(
        'docker',
        `using the Docker Engine at ${given} (not started by the stack: its host firewall, including the tenant ` +
          'egress filter of infra/src/tenant-firewall.ts, is yours to install)',
      );
      return { host: given, started: false, client: () => dockerClient(given), stop: async () => undefined };
    } catch (e) {
      if (opts.dockerHost) throw e;
      say('docker', '/var/run/docker.sock does not answer; starting a dockerd of our own');
    }
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new StackProblem(
      "no Docker Engine answers at /var/run/docker.sock, and only root can start one of the stack's own",
      'start Docker, set DOCKER_HOST to a running engine, or run as root on Linux',
    );
  }
  if (!findOnPath('dockerd')) await installDockerIo();
  return startDockerd({ ...opts, name: 'dockerd', iptables: true });
}

/**
 * A dockerd of our own. `iptables: false` is only for an extra engine that plays a second host for placement:
 * two daemons that both manage iptables disturb each other's rules, and isolation is tested on the first one.
 */
export async function startDockerd(opts: {
  name: string;
  dataRoot: string;
  runDir: string;
  logDir: string;
  iptables: boolean;
}): Promise<DockerEngine> {
  fs.mkdirSync(opts.dataRoot, { recursive: true });
  fs.mkdirSync(opts.runDir, { recursive: true });
  const socket = path.join(opts.runDir, 'docker.sock');
  const host = `unix://${socket}`;
  const pidFile = path.join(opts.runDir, 'dockerd.pid');
  const logFile = path.join(opts.logDir, `${opts.name}.log`);
  await stopStaleDaemon(pidFile);
  const rulesBefore = opts.iptables ? iptablesSave() : undefined;
  const proc = startProcess(
    opts.name,
    'dockerd',
    [
      '--host',
      host,
      '--data-root',
      opts.dataRoot,
      '--exec-root',
      path.join(opts.runDir, 'exec'),
      '--pidfile',
      pidFile,
      '--storage-driver',
      'vfs',
      '--bridge',
      'none',
      `--iptables=${opts.iptables}`,
      '--ip6tables=false',
      '--log-level',
      'warn',
    ],
    { logFile, stopTimeoutMs: 20_000 },
  );
  await waitFor(`${opts.name} on ${socket} (log: ${logFile})`, () => answers(host), {
    timeoutMs: 60_000,
    exited: proc.exited,
  });
  if (opts.iptables) {
    try {
      // After dockerd answers: it has created DOCKER-USER by then. Undone by the restore in stop().
      installTenantFirewall();
    } catch (e) {
      await proc.stop();
      if (rulesBefore !== undefined) restoreIptables(rulesBefore);
      throw new StackProblem(
        `could not install the tenant egress filter: ${(e as Error).message}`,
        'tenant containers would reach the host and private networks; check that iptables works as root here',
      );
    }
  }
  say(
    'docker',
    `${opts.name} on ${host} (data root ${opts.dataRoot}${opts.iptables ? ', tenant egress filter installed' : ', iptables off'})`,
  );
  return {
    host,
    started: true,
    client: () => dockerClient(host),
    async stop() {
      // Containers and networks first, so that Docker itself takes its iptables rules out again.
      await removeAll(dockerClient(host)).catch((e: Error) =>
        say('docker', `cleanup before stop failed: ${e.message}`),
      );
      await proc.stop();
      if (rulesBefore !== undefined) restoreIptables(rulesBefore);
    },
  };
}

/** A dockerd left by a run that was killed outright would hold our socket and data root. */
async function stopStaleDaemon(pidFile: string): Promise<void> {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGTERM');
    say('docker', `stopping a dockerd left over from an earlier run (pid ${pid})`);
    await waitFor(
      'the old dockerd to exit',
      async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 20_000 },
    );
  } catch {
    // not running any more
  }
}

function restoreIptables(rules: string): void {
  try {
    execFileSync('iptables-restore', { input: rules });
  } catch (e) {
    say('docker', `could not restore the iptables rules found at start: ${(e as Error).message}`);
  }
}

/** Removes every container and user-defined network of an engine the stack started itself. */
async function removeAll(docker: Docker): Promise<void> {
  for (const c of await docker.listContainers({ all: true })) {
    await docker.getContainer(c.Id).remove({ force: true, v: false });
  }
  for (const n of await docker.listNetworks()) {
    if (!['bridge', 'host', 'none'].includes(n.Name)) await docker.getNetwork(n.Id).remove();
  }
}
