// restic (SPEC F1), driven as a child process: one repository per instance, opened with a password derived from the
// master key and the instance id (never stored, never logged, handed to restic in its environment only). Backups
// are read from stdin (a database dump, the library volume as a tar from the Docker Engine's archive API) and
// restored with `restic dump` to stdout, so the worker needs no copy of the data on its own disk.
import { spawn } from 'node:child_process';
import { hkdfSync } from 'node:crypto';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface ResticConfig {
  /** The restic binary. */
  binary: string;
  /**
   * Where the repositories live: a local folder (one sub-folder per instance), or a restic backend URL such as
   * `rest:https://backup.example.com/photoplane` or `s3:https://s3.example.com/bucket/photoplane`, to which
   * `/<instance id>` is appended. Backend credentials (AWS_ACCESS_KEY_ID, RESTIC_REST_USERNAME, …) come from the
   * worker's environment, as restic reads them.
   */
  repositoryRoot: string;
  /** Extra environment for restic (tests: a cache folder of their own). */
  env?: NodeJS.ProcessEnv;
}

/** Exit codes restic documents. */
export const RESTIC_NO_REPOSITORY = 10;
export const RESTIC_LOCKED = 11;
export const RESTIC_WRONG_PASSWORD = 12;

export class ResticError extends Error {
  override name = 'ResticError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`restic ${command} failed (exit ${exitCode ?? 'signal'}): ${lastLines(stderr)}`);
  }
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.slice(-3).join(' | ').slice(0, 600) || '(no output)';
}

/**
 * The password of an instance's repository: HKDF-SHA256 of the master key with the instance id as salt. One
 * tenant's password opens no other tenant's repository, and losing the database loses no backup key.
 */
export function backupRepositoryPassword(masterKey: string, instanceId: string): string {
  return Buffer.from(hkdfSync('sha256', masterKey, instanceId, 'photoplane/backup-repository/v1', 32)).toString(
    'base64url',
  );
}

export function repositoryLocation(root: string, instanceId: string): string {
  // A backend URL (`rest:…`, `s3:…`, `sftp:…`, …) has a scheme before a colon; a local folder is an absolute path.
  if (/^[a-z0-9]+:/.test(root)) return `${root.replace(/\/+$/, '')}/${instanceId}`;
  return path.join(root, instanceId);
}

export interface Repository {
  location: string;
  password: string;
}

export interface ResticSnapshot {
  id: string;
  shortId: string;
  time: string;
  paths: string[];
  tags: string[];
}

export interface BackupSummary {
  snapshotId: string;
  /** Bytes read from stdin. */
  bytesProcessed: number;
  /** New bytes the repository stored after deduplication (before compression). */
  bytesAdded: number;
}

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly?: number;
}

export interface CheckResult {
  ok: boolean;
  /** restic's report when not ok (its last lines). */
  errors: string;
}

export function createRestic(config: ResticConfig) {
  function run(
    repo: Repository,
    args: string[],
    io: { stdin?: Readable; stdout?: Writable } = {},
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(config.binary, ['--no-cache', '-q', ...args], {
        env: {
          ...process.env,
          ...config.env,
          RESTIC_REPOSITORY: repo.location,
          RESTIC_PASSWORD: repo.password,
          RESTIC_PROGRESS_FPS: '0',
        },
        stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let failed: Error | undefined;
      if (io.stdout) child.stdout!.pipe(io.stdout);
      else child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => {
        if (stderr.length < 64 * 1024) stderr += d.toString();
      });
      if (io.stdin && child.stdin) {
        io.stdin.on('error', (e) => {
          failed = e;
          child.kill('SIGTERM');
        });
        child.stdin.on('error', () => undefined); // restic quit early: its exit code says why
        io.stdin.pipe(child.stdin);
      }
      child.on('error', reject);
      child.on('close', (code) => {
        if (failed) reject(failed);
        else resolve({ code, stdout, stderr });
      });
    });
  }

  async function must(repo: Repository, args: string[], io?: { stdin?: Readable; stdout?: Writable }) {
    const res = await run(repo, args, io);
    if (res.code !== 0) throw new ResticError(args[0] ?? '', res.code, res.stderr);
    return res;
  }

  return {
    repository(instanceId: string, password: string): Repository {
      return { location: repositoryLocation(config.repositoryRoot, instanceId), password };
    },

    /** Creates the repository unless it exists; a wrong password for an existing one is an error. */
    async init(repo: Repository): Promise<'created' | 'exists'> {
      const probe = await run(repo, ['cat', 'config']);
      if (probe.code === 0) return 'exists';
      if (probe.code !== RESTIC_NO_REPOSITORY) throw new ResticError('cat config', probe.code, probe.stderr);
      await must(repo, ['init']);
      return 'created';
    },

    /** Stores `stdin` as one file, `fileName`, in a new snapshot with these tags. */
    async backupStream(repo: Repository, stdin: Readable, fileName: string, tags: string[]): Promise<BackupSummary> {
      const args = ['backup', '--json', '--host', 'photoplane', '--stdin', '--stdin-filename', fileName];
      for (const t of tags) args.push('--tag', t);
      const res = await must(repo, args, { stdin });
      const summary = res.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((m) => m.message_type === 'summary');
      if (!summary || typeof summary.snapshot_id !== 'string')
        throw new ResticError('backup', res.code, `no summary in restic's output: ${res.stdout.slice(-300)}`);
      return {
        snapshotId: summary.snapshot_id,
        bytesProcessed: Number(summary.total_bytes_processed ?? 0),
        bytesAdded: Number(summary.data_added ?? 0),
      };
    },

    /** Writes one file of a snapshot to `out`. */
    async dumpFile(repo: Repository, snapshotId: string, fileName: string, out: Writable): Promise<void> {
      await must(repo, ['dump', snapshotId, fileName], { stdout: out });
    },

    async snapshots(repo: Repository, tags: string[] = []): Promise<ResticSnapshot[]> {
      const args = ['snapshots', '--json'];
      if (tags.length) args.push('--tag', tags.join(','));
      const res = await must(repo, args);
      const list = JSON.parse(res.stdout || '[]') as {
        id: string;
        short_id: string;
        time: string;
        paths: string[];
        tags?: string[];
      }[];
      return list.map((s) => ({ id: s.id, shortId: s.short_id, time: s.time, paths: s.paths, tags: s.tags ?? [] }));
    },

    /** Retention: keeps the policy's snapshots of each kind (host and path) and prunes the data of the rest. */
    async forget(repo: Repository, policy: RetentionPolicy): Promise<void> {
      const args = ['forget', '--prune', '--keep-daily', String(policy.daily), '--keep-weekly', String(policy.weekly)];
      if (policy.monthly) args.push('--keep-monthly', String(policy.monthly));
      await must(repo, args);
    },

    /**
     * Integrity check: the repository's structure, and `readDataPercent` of its packs read back and verified
     * (0: structure only). A failure is a finding, not an error of the check itself.
     */
    async check(repo: Repository, readDataPercent: number): Promise<CheckResult> {
      const args = ['check'];
      if (readDataPercent >= 100) args.push('--read-data');
      else if (readDataPercent > 0) args.push(`--read-data-subset=${readDataPercent}%`);
      const res = await run(repo, args);
      if (res.code === RESTIC_WRONG_PASSWORD || res.code === RESTIC_NO_REPOSITORY)
        throw new ResticError('check', res.code, res.stderr);
      return res.code === 0 ? { ok: true, errors: '' } : { ok: false, errors: lastLines(res.stderr + res.stdout) };
    },
  };
}

export type Restic = ReturnType<typeof createRestic>;
