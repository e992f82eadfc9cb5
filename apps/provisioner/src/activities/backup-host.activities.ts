// Backups and restores of an instance's data (SPEC F1), bound to the Docker host the instance runs on (its host
// queue): the database dump taken inside the instance's own container, the library volume read through a helper
// container's archive API, both streamed into the instance's restic repository; restore streams them back.
import { PassThrough, Writable } from 'node:stream';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type Docker from 'dockerode';
import { DATABASE_DUMPS, type DatabaseDump } from '../backup/database-dump.ts';
import {
  execStdout,
  execWithStdin,
  readVolumeTar,
  singleFileTar,
  withVolumeHelper,
  writeVolumeTar,
} from '../backup/docker-data.ts';
import { ResticError, type Restic } from '../backup/restic.ts';
import type { RetentionPolicy } from '../contracts/backups.ts';
import {
  buildInstanceStackSpec,
  ensureContainer,
  ensureInstanceStack,
  ensureNetwork,
  ensureVolume,
  inspectContainer,
  instanceLabels,
  removeContainer,
  removeInstanceStack,
  removeVolume,
  startContainer,
  waitHealthy,
  type Labels,
} from '../docker/index.ts';
import type { Secrets } from '../secrets.ts';
import type { StackProfile, StackProfileName } from '../stack-profiles.ts';
import { withPermanentErrors } from './errors.ts';

export interface BackupHostActivityDeps {
  docker: Docker;
  restic: Restic;
  secrets: Secrets;
  profile: StackProfile;
  profileName: StackProfileName;
  extraLabels?: Labels;
  edgeSocket?: string;
  healthTimeoutMs?: number;
}

export interface BackupTarget {
  instanceId: string;
  subscriptionId: string;
  appImage?: string | null;
}

export const LIBRARY_FILE = '/library.tar';

async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => heartbeat(), 5_000);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
  }
}

function notFound(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'BackupNotFound', nonRetryable: true });
}

/** Collects a stream into memory (a database dump on its way back in). */
function collector(): { sink: Writable; buffer: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { sink, buffer: () => Buffer.concat(chunks) };
}

export function createBackupHostActivities(deps: BackupHostActivityDeps) {
  const { docker, restic } = deps;
  const dump: DatabaseDump = DATABASE_DUMPS[deps.profileName];
  const healthTimeoutMs = deps.healthTimeoutMs ?? 180_000;

  const spec = (target: BackupTarget) =>
    buildInstanceStackSpec({
      ...deps.profile,
      ...(target.appImage ? { images: { ...deps.profile.images, app: target.appImage } } : {}),
      instanceId: target.instanceId,
      subscriptionId: target.subscriptionId,
      database: { password: deps.secrets.databasePassword(target.instanceId) },
      ...(deps.extraLabels ? { extraLabels: deps.extraLabels } : {}),
      ...(deps.edgeSocket ? { edgeSocketPath: deps.edgeSocket } : {}),
    });
  const repo = (instanceId: string) => restic.repository(instanceId, deps.secrets.backupPassword(instanceId));
  const helperLabels = (target: BackupTarget): Labels => ({
    ...instanceLabels({
      instanceId: target.instanceId,
      subscriptionId: target.subscriptionId,
      role: 'library',
      ...(deps.extraLabels ? { extra: deps.extraLabels } : {}),
    }),
    'photoplane.backup-helper': 'true',
  });

  /** Both snapshots of one backup, found by its tag. */
  async function snapshotsOf(instanceId: string, backupId: string) {
    const found = await restic.snapshots(repo(instanceId), [`backup=${backupId}`]);
    const library = found.find((s) => s.paths.includes(LIBRARY_FILE));
    const database = found.find((s) => s.paths.includes(dump.fileName));
    if (!library || !database)
      throw notFound(`backup ${backupId} is not (or not completely) in the repository of instance ${instanceId}`);
    return { library, database };
  }

  return withPermanentErrors({
    /**
     * One backup: the dump first, then the library (files the dump does not know yet are harmless on restore;
     * rows pointing at files that are missing are not). Both stream from Docker to restic, nothing lands on disk.
     */
    async backupInstanceData(input: BackupTarget & { backupId: string; trigger: string }) {
      const s = spec(input);
      const r = repo(input.instanceId);
      return heartbeating(async () => {
        await restic.init(r);
        const container = s.names[dump.role];
        const state = (await inspectContainer(docker, container))?.State;
        if (!state?.Running)
          throw ApplicationFailure.create({
            message: `the ${dump.role} container is not running: a consistent dump needs the instance up`,
            type: 'InstanceNotRunning',
            nonRetryable: true,
          });
        const tags = [
          'photoplane',
          `instance=${input.instanceId}`,
          `backup=${input.backupId}`,
          `trigger=${input.trigger}`,
        ];
        const dumped = await execStdout(docker, container, dump.command);
        const [database] = await Promise.all([restic.backupStream(r, dumped.stdout, dump.fileName, tags), dumped.done]);
        const library = await withVolumeHelper(
          docker,
          {
            volume: s.volumes.library.Name,
            image: s.containers.app.Image,
            readOnly: true,
            labels: helperLabels(input),
            namePrefix: `pp-${input.instanceId}`,
          },
          async (helper) => restic.backupStream(r, await readVolumeTar(helper), LIBRARY_FILE, tags),
        );
        return {
          databaseSnapshotId: database.snapshotId,
          librarySnapshotId: library.snapshotId,
          bytesProcessed: database.bytesProcessed + library.bytesProcessed,
          bytesAdded: database.bytesAdded + library.bytesAdded,
        };
      });
    },

    /** Retention: forget what the policy does not keep and prune; returns the backups still in the repository. */
    async pruneInstanceBackups(input: { instanceId: string; policy: RetentionPolicy }): Promise<string[]> {
      const r = repo(input.instanceId);
      return heartbeating(async () => {
        await restic.forget(r, input.policy);
        const left = await restic.snapshots(r);
        return [
          ...new Set(
            left.flatMap((s) => s.tags.filter((t) => t.startsWith('backup=')).map((t) => t.slice('backup='.length))),
          ),
        ];
      });
    },

    /** `restic check`: structure, and readDataPercent of the data read back. A corrupted repository is a result. */
    async checkInstanceBackups(input: { instanceId: string; readDataPercent: number }) {
      return heartbeating(async () => {
        try {
          return await restic.check(repo(input.instanceId), input.readDataPercent);
        } catch (e) {
          // A repository that cannot be opened at all is as bad as a corrupted one.
          if (e instanceof ResticError) return { ok: false, errors: e.message };
          throw e;
        }
      });
    },

    /**
     * Restore a backup into `into` (the instance itself, or its inspection stack): the library volume is replaced
     * by the snapshot's (a fresh volume, so files added since are gone), the dump put back, then the stack is
     * started and waited for until healthy. In place, the app is removed first (it is recreated from its spec).
     */
    async restoreInstanceData(
      input: BackupTarget & { backupId: string; into: string },
    ): Promise<{ appHostPort: number }> {
      const { library, database } = await snapshotsOf(input.instanceId, input.backupId);
      const source = repo(input.instanceId);
      const target = { ...input, instanceId: input.into };
      const s = spec(target);
      return heartbeating(async () => {
        // The dump is read and checked first: a broken one stops the restore before anything is touched.
        const dumped = collector();
        await restic.dumpFile(source, database.id, dump.fileName, dumped.sink);
        const restorable = dump.prepare(dumped.buffer());
        if (input.into !== input.instanceId) {
          // An earlier inspection of this instance goes: one at a time.
          await removeInstanceStack(docker, input.into);
        } else {
          await removeContainer(docker, s.names.app);
        }
        await removeVolume(docker, s.volumes.library.Name);
        await ensureVolume(docker, s.volumes.library);
        await withVolumeHelper(
          docker,
          {
            volume: s.volumes.library.Name,
            image: s.containers.app.Image,
            readOnly: false,
            labels: helperLabels(target),
            namePrefix: `pp-${input.into}`,
          },
          async (helper) => {
            const tar = new PassThrough();
            await Promise.all([restic.dumpFile(source, library.id, LIBRARY_FILE, tar), writeVolumeTar(helper, tar)]);
            if (dump.restore.kind === 'library-file') {
              const file = singleFileTar(`library/${dump.restore.path}`, restorable);
              await writeVolumeTar(helper, file);
            }
          },
        );
        if (dump.restore.kind === 'exec') {
          const role = dump.restore.role;
          await ensureNetwork(docker, s.network);
          await ensureVolume(docker, s.volumes.database);
          await ensureContainer(docker, s.containers[role]);
          await startContainer(docker, s.names[role]);
          await waitHealthy(docker, s.names[role], { timeoutMs: healthTimeoutMs });
          await execWithStdin(docker, s.names[role], dump.restore.command, restorable);
        }
        const stack = await ensureInstanceStack(docker, s, { healthTimeoutMs });
        return { appHostPort: stack.appHostPort };
      });
    },

    /** Removes an inspection stack (containers, networks, volumes). */
    async removeInspectionStack(input: { inspectionInstanceId: string }): Promise<{ removed: number }> {
      const removed = await removeInstanceStack(docker, input.inspectionInstanceId);
      return { removed: removed.containers.length + removed.networks.length + removed.volumes.length };
    },
  });
}

export type BackupHostActivities = ReturnType<typeof createBackupHostActivities>;
