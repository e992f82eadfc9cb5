// Benchmark (issue 15, SPEC F1): backup and restore throughput of an instance's library volume, against a plain copy
// of the same data in the same run. The same path the backup activities take: the volume read as a tar through a
// helper container's archive API (Docker Engine API, so it works with a remote engine) and streamed into restic
// (encryption, deduplication, compression), then restored with `restic dump` into a fresh volume through the archive
// API again. The baseline copies the same tar through the same API to a plain file and back, with no restic.
// A second backup of unchanged data shows what deduplication saves. The database dump is not measured (the
// stand-in's is one small JSON file).
//
// Run: npm run bench -- bench/backup.bench.ts   (BENCH_MIB=256 of photo-sized random files by default)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { testLabels, testStack } from '@photoplane/infra/testing';
import { createRestic } from '../apps/provisioner/src/backup/restic.ts';
import {
  readVolumeTar,
  singleFileTar,
  withVolumeHelper,
  writeVolumeTar,
} from '../apps/provisioner/src/backup/docker-data.ts';
import { dockerClient } from '../apps/provisioner/src/docker/index.ts';

const MiB = 1024 * 1024;
const totalMiB = Number(process.env.BENCH_MIB ?? 256);
const stack = testStack();
const docker = dockerClient(stack.dockerHost);
const labels = testLabels(stack.runId);
const restic = createRestic({ binary: stack.backups.restic, repositoryRoot: stack.backups.repositoryRoot });
const runId = randomBytes(3).toString('hex');
const volumes: string[] = [];

async function volume(name: string): Promise<string> {
  const full = `pp-bench-${runId}-${name}`;
  await docker.createVolume({ Name: full, Labels: labels });
  volumes.push(full);
  return full;
}

const helper = (vol: string, readOnly: boolean) => ({
  volume: vol,
  image: stack.images.photoAppStandin,
  readOnly,
  labels,
  namePrefix: `pp-bench-${runId}`,
});

async function timed(what: string, bytes: number, fn: () => Promise<void>) {
  const started = process.hrtime.bigint();
  await fn();
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  const mbs = bytes / MiB / s;
  process.stdout.write(`${what.padEnd(44)} ${s.toFixed(2).padStart(7)} s ${mbs.toFixed(1).padStart(8)} MiB/s\n`);
  return mbs;
}

/** Photo-sized files (0.5-6 MiB of random bytes: photos do not compress) until totalMiB, put into the volume. */
async function fill(vol: string): Promise<number> {
  let written = 0;
  let i = 0;
  await withVolumeHelper(docker, helper(vol, false), async (c) => {
    while (written < totalMiB * MiB) {
      const size = Math.min(totalMiB * MiB - written, (0.5 + Math.random() * 5.5) * MiB) | 0;
      await writeVolumeTar(
        c,
        singleFileTar(`library/upload/IMG_${String(i++).padStart(5, '0')}.jpg`, randomBytes(size)),
      );
      written += size;
    }
  });
  return written;
}

async function main() {
  const bytes = await fill(await volume('source'));
  const source = `pp-bench-${runId}-source`;
  process.stdout.write(`\n${(bytes / MiB).toFixed(0)} MiB in ${source}; Docker at ${stack.dockerHost}\n\n`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-backup-bench-'));
  try {
    const plainFile = path.join(tmp, 'library.tar');
    const results: Record<string, number> = {};
    results.copy = await timed('plain copy: volume → tar file', bytes, () =>
      withVolumeHelper(docker, helper(source, true), async (c) =>
        pipeline(await readVolumeTar(c), fs.createWriteStream(plainFile)),
      ),
    );
    results.copyBack = await timed('plain copy: tar file → new volume', bytes, async () =>
      withVolumeHelper(docker, helper(await volume('plain'), false), (c) =>
        writeVolumeTar(c, fs.createReadStream(plainFile)),
      ),
    );
    const repo = restic.repository(`bench-${runId}`, randomBytes(32).toString('base64url'));
    await restic.init(repo);
    let snapshot = '';
    results.backup = await timed('restic backup (first, full)', bytes, () =>
      withVolumeHelper(docker, helper(source, true), async (c) => {
        snapshot = (await restic.backupStream(repo, await readVolumeTar(c), '/library.tar', ['bench'])).snapshotId;
      }),
    );
    let added = 0;
    results.again = await timed('restic backup (again, unchanged)', bytes, () =>
      withVolumeHelper(docker, helper(source, true), async (c) => {
        added = (await restic.backupStream(repo, await readVolumeTar(c), '/library.tar', ['bench'])).bytesAdded;
      }),
    );
    results.restore = await timed('restic restore (dump → new volume)', bytes, async () =>
      withVolumeHelper(docker, helper(await volume('restored'), false), async (c) => {
        const tar = new PassThrough();
        await Promise.all([restic.dumpFile(repo, snapshot, '/library.tar', tar), writeVolumeTar(c, tar)]);
      }),
    );
    const repoBytes = du(path.join(stack.backups.repositoryRoot, `bench-${runId}`));
    process.stdout.write(
      `\nbackup at ${((results.backup / results.copy) * 100).toFixed(0)}% of the plain copy's speed, restore at ${((results.restore / results.copyBack) * 100).toFixed(0)}%;` +
        ` the second backup stored ${(added / MiB).toFixed(1)} MiB new; repository ${(repoBytes / MiB).toFixed(0)} MiB for two snapshots of ${(bytes / MiB).toFixed(0)} MiB\n`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(path.join(stack.backups.repositoryRoot, `bench-${runId}`), { recursive: true, force: true });
    for (const v of volumes)
      await docker
        .getVolume(v)
        .remove()
        .catch(() => undefined);
  }
}

function du(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  return total;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
