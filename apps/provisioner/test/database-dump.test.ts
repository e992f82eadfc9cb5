// The Immich profile's database dump and restore (SPEC F1), run for real: the profile's own pg_dumpall and psql
// command lines, inside PostgreSQL containers made from the profile's db settings (environment, health check,
// hardening, volume) with a PostgreSQL image built here from Debian's packages (infra/src/images.ts; no registry
// is reachable, so not Immich's own image with its vector extensions). Rows written into one instance's database
// come back in a fresh one; a cut-off dump is refused before anything runs, and a dump that fails half-way makes
// the restore fail instead of going on.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { ensureImage, postgresImageSpec } from '../../../infra/src/images.ts';
import { BrokenDumpError, DATABASE_DUMPS } from '../src/backup/database-dump.ts';
import { execStdout, execWithStdin } from '../src/backup/docker-data.ts';
import {
  buildInstanceStackSpec,
  ensureContainer,
  ensureNetwork,
  ensureVolume,
  startContainer,
  waitHealthy,
} from '../src/docker/index.ts';
import { stackProfile } from '../src/stack-profiles.ts';
import { cleanupInstance, docker, execIn, newInstanceId, runLabels, stack } from './docker-fixtures.ts';

const dump = DATABASE_DUMPS.immich;
const toolsDir = process.env.PHOTOPLANE_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'photoplane', 'tools');

let postgresImage: string | undefined;
async function image(): Promise<string> {
  postgresImage ??= await ensureImage(docker, await postgresImageSpec(toolsDir));
  return postgresImage;
}

/** The Immich profile's database container of a new instance (only it: the dump concerns nothing else), healthy. */
async function databaseOf(t: TestContext): Promise<{ container: string; password: string }> {
  const instanceId = newInstanceId();
  cleanupInstance(t, instanceId);
  const password = randomBytes(12).toString('hex');
  const spec = buildInstanceStackSpec({
    ...stackProfile('immich', { app: stack.images.photoAppStandin, db: await image(), cache: stack.images.busybox }),
    instanceId,
    subscriptionId: `sub-${instanceId}`,
    database: { password },
    extraLabels: runLabels,
  });
  await ensureNetwork(docker, spec.network);
  await ensureVolume(docker, spec.volumes.database);
  await ensureContainer(docker, spec.containers.db);
  await startContainer(docker, spec.names.db);
  // The profile's own health check: pg_isready with POSTGRES_DB and POSTGRES_USER.
  await waitHealthy(docker, spec.names.db, { timeoutMs: 120_000 });
  return { container: spec.names.db, password };
}

/** psql inside the container, as the app would reach it (over TCP with the instance's password when given). */
async function sql(container: string, query: string, password?: string): Promise<string> {
  const cmd = password
    ? ['sh', '-c', 'PGPASSWORD="$1" psql -h 127.0.0.1 -U postgres -d immich -XAtq -v ON_ERROR_STOP=1 -c "$2"', 'sh']
    : ['psql', '-U', 'postgres', '-d', 'immich', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c'];
  const res = await execIn(container, password ? [...cmd, password, query] : [...cmd, query], 30_000);
  assert.equal(res.exitCode, 0, `${query}: ${res.output}`);
  return res.output.trim();
}

/** The profile's dump command, run in the container, collected. */
async function takeDump(container: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const dumped = await execStdout(docker, container, dump.command);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  dumped.stdout.pipe(sink);
  await dumped.done;
  await new Promise((resolve) => sink.on('finish', resolve));
  return Buffer.concat(chunks);
}

/** What the restore activity does with a dump: check it, then the profile's restore command with it as stdin. */
async function restore(container: string, raw: Buffer): Promise<void> {
  assert.equal(dump.restore.kind, 'exec');
  if (dump.restore.kind !== 'exec') return;
  await execWithStdin(docker, container, dump.restore.command, dump.prepare(raw));
}

const ROWS = "('beach.jpg', 2048), ('dog.heic', 1000000), ('o''brien.png', 7)";
const SELECT = "SELECT string_agg(name || ':' || size, ',' ORDER BY name) FROM assets";

describe('the Immich profile database dump and restore', { timeout: 600_000 }, () => {
  test('rows dumped from one instance come back in a fresh instance; its own password still works', async (t) => {
    const source = await databaseOf(t);
    await sql(source.container, 'CREATE TABLE assets (name text PRIMARY KEY, size bigint NOT NULL)');
    await sql(source.container, `INSERT INTO assets VALUES ${ROWS}`);
    const before = await sql(source.container, SELECT);
    assert.equal(before, "beach.jpg:2048,dog.heic:1000000,o'brien.png:7");

    const raw = await takeDump(source.container);
    assert.match(raw.toString(), /PostgreSQL database cluster dump complete/);

    const target = await databaseOf(t);
    await sql(target.container, 'CREATE TABLE leftover (x int)');
    await restore(target.container, raw);
    // The rows are back, read over TCP with the target's own password (the dump carries no role password).
    assert.equal(await sql(target.container, SELECT, target.password), before);
    // --clean: the database was replaced, not merged into.
    assert.equal(await sql(target.container, "SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'"), '0');
    // The source's password does not open the target (each instance keeps its own).
    const foreign = await execIn(target.container, [
      'sh',
      '-c',
      'PGPASSWORD="$1" psql -h 127.0.0.1 -U postgres -d immich -XAtq -c "SELECT 1"',
      'sh',
      source.password,
    ]);
    assert.notEqual(foreign.exitCode, 0);
    assert.match(foreign.output, /password authentication failed/);
  });

  test('a cut-off dump is refused before anything runs; a dump failing half-way fails the restore', async (t) => {
    const source = await databaseOf(t);
    await sql(source.container, 'CREATE TABLE assets (name text PRIMARY KEY, size bigint NOT NULL)');
    await sql(source.container, `INSERT INTO assets VALUES ${ROWS}`);
    const raw = await takeDump(source.container);

    const target = await databaseOf(t);
    await sql(target.container, 'CREATE TABLE assets (name text PRIMARY KEY, size bigint NOT NULL)');
    await sql(target.container, "INSERT INTO assets VALUES ('kept.jpg', 1)");

    // Cut off (a dump killed or a disk full half-way): refused as a whole, the target untouched.
    const cut = raw.subarray(0, Math.floor(raw.length * 0.7));
    await assert.rejects(restore(target.container, cut), BrokenDumpError);
    assert.equal(await sql(target.container, SELECT), 'kept.jpg:1');
    // Not a pg_dumpall dump at all (another profile's, or garbage): refused too.
    await assert.rejects(restore(target.container, Buffer.from('{"users":[]}')), BrokenDumpError);
    assert.equal(await sql(target.container, SELECT), 'kept.jpg:1');

    // Whole, but a statement in it fails: psql stops there and the restore reports it (exit 3, the error).
    const damaged = Buffer.from(raw.toString().replace(/CREATE TABLE public\.assets/, 'CREATE TABEL public.assets'));
    assert.notEqual(damaged.toString(), raw.toString());
    await assert.rejects(restore(target.container, damaged), (e: Error) => {
      assert.match(e.message, /exited 3/);
      assert.match(e.message, /syntax error at or near "TABEL"/);
      return true;
    });
  });
});
