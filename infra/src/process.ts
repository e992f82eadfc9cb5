// Child processes the stack owns. Each runs in its own process group so that stopping it also stops anything
// it spawned (Temporal's dev server, dockerd's containerd), and nothing outlives the stack.
import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout and stderr go; without one (and without `echo`) they go to the terminal. */
  logFile?: string;
  /** Also hand every output line here (the log file keeps it as written): `npm start` shows its services this way. */
  echo?: (line: string) => void;
  uid?: number;
  gid?: number;
  /** Signal that asks the program to shut down cleanly. */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
}

export function startProcess(name: string, command: string, args: string[], opts: StartOptions): ManagedProcess {
  const log = opts.logFile === undefined ? undefined : fs.openSync(opts.logFile, 'a');
  if (log !== undefined && opts.uid !== undefined) fs.fchownSync(log, opts.uid, opts.gid ?? opts.uid);
  const piped = opts.echo !== undefined;
  const spawnOpts: SpawnOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: piped
      ? ['ignore', 'pipe', 'pipe']
      : log === undefined
        ? ['ignore', 'inherit', 'inherit']
        : ['ignore', log, log],
    detached: true,
  };
  if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
  if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
  const child = spawn(command, args, spawnOpts);
  if (piped) {
    const file = log === undefined ? undefined : fs.createWriteStream('', { fd: log });
    let open = 2;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        file?.write(`${line}\n`);
        opts.echo!(line);
      });
      lines.on('close', () => {
        if (--open === 0) file?.end();
      });
    }
  } else if (log !== undefined) fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      running = false;
      resolve(code);
    });
    child.on('error', () => {
      running = false;
      resolve(-1);
    });
  });
  return {
    name,
    pid,
    exited,
    async stop() {
      if (!running) return;
      signalGroup(pid, opts.stopSignal ?? 'SIGTERM');
      const giveUp = new AbortController();
      const timeout = sleep(opts.stopTimeoutMs ?? 15_000, 'timeout' as const, { signal: giveUp.signal }).catch(
        () => 'stopped' as const,
      );
      const outcome = await Promise.race([exited, timeout]);
      giveUp.abort();
      if (outcome === 'timeout') {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
      // Members of the group that outlived the leader (rare) must not linger either.
      signalGroup(pid, 'SIGKILL');
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** A process that died while it was being waited for (a port taken between choosing and binding it, a crash). */
export class ExitedBeforeReadyError extends Error {
  override name = 'ExitedBeforeReadyError';
}

/** The end of a process's log, for the error that says it died: the log itself may go with a throw-away run. */
function logTail(logFile: string | undefined, lines = 15): string {
  if (!logFile) return '';
  try {
    const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n  ');
    return tail ? `; the end of its log:\n  ${tail}` : '';
  } catch {
    return '';
  }
}

/** Polls `check` until it resolves truthy; fails with what it was waiting for and the last error. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  {
    timeoutMs = 60_000,
    intervalMs = 200,
    exited,
    logFile,
  }: { timeoutMs?: number; intervalMs?: number; exited?: Promise<unknown>; logFile?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let dead = false;
  void exited?.then(() => (dead = true));
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (dead) throw new ExitedBeforeReadyError(`${what}: the process exited before it was ready${logTail(logFile)}`);
    await sleep(intervalMs);
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs a command to completion, failing with its output when it exits non-zero. */
export async function run(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; inherit?: boolean; uid?: number; gid?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: opts.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}\n${out.slice(-4000)}`));
    });
  });
}
