// Creating, migrating and dropping whole databases: used by the stack scripts and by tests, which each get a
// database of their own copied from a migrated template (CREATE DATABASE … TEMPLATE takes ~100 ms, a fresh
// `migrate deploy` ~2.5 s).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';

const prismaDir = path.resolve(import.meta.dirname, '..');

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Applies the checked-in migrations to the database at `databaseUrl` (`prisma migrate deploy`). */
export async function migrateDeploy(databaseUrl: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(prismaDir, '..', 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'deploy'],
      { cwd: prismaDir, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`prisma migrate deploy failed:\n${out}`))));
  });
}

export interface CreatedDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new database copied from `template` on the same server, with a random name that starts with `prefix`. */
export async function createDatabaseFromTemplate(
  serverUrl: string,
  template: string,
  prefix = 'test',
): Promise<CreatedDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`));
  return { name, url: withDatabase(serverUrl, name), drop: () => dropDatabase(serverUrl, name) };
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}
