// What "the instance's database" is per stack profile, how a consistent dump of it is taken inside the instance's
// own container (Docker exec, streamed to restic), and how it is put back.
import type { StackRole } from '../docker/index.ts';
import type { StackProfileName } from '../stack-profiles.ts';

export type DumpRestore =
  /** Run a command in this (running) container with the dump as its stdin: `psql` for PostgreSQL. */
  | { kind: 'exec'; role: StackRole; command: string[] }
  /** Put the dump back as this file in the library volume (while the app is stopped). */
  | { kind: 'library-file'; path: string };

export interface DatabaseDump {
  /** The container the dump runs in. */
  role: StackRole;
  /** Writes the dump to stdout, exits non-zero on failure. */
  command: string[];
  /** The dump's name in the backup snapshot (an absolute path in restic's snapshot). */
  fileName: string;
  restore: DumpRestore;
  /**
   * Checks a dump before anything of the instance is touched and returns what the restore applies: throws
   * BrokenDumpError for a dump that is not whole (cut off, damaged), so a restore of it stops before it starts.
   */
  prepare: (dump: Buffer) => Buffer;
}

/** A dump that cannot be restored as a whole: nothing of it is applied. */
export class BrokenDumpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokenDumpError';
  }
}

/** The user the Immich profile's dump and restore run as: the database's superuser (POSTGRES_USER). */
const IMMICH_DB_USER = 'postgres';
/** pg_dumpall's last line: a dump cut off anywhere before it (a full disk, a killed dump) lacks it. */
const PG_DUMPALL_TRAILER = /\n-- PostgreSQL database cluster dump complete\n--\s*$/;

/**
 * pg_dumpall --clean drops and recreates every role, the connecting one too; PostgreSQL refuses both for the current
 * user ("current user cannot be dropped", "role … already exists"), harmlessly. Those two lines go, so that psql can
 * stop at the first real error (ON_ERROR_STOP) instead of going on past it. The role's ALTER ROLE stays.
 */
function preparePgDumpall(dump: Buffer): Buffer {
  const text = dump.toString('utf8');
  if (!text.startsWith('--\n-- PostgreSQL database cluster dump\n--\n'))
    throw new BrokenDumpError('the database dump does not start as a pg_dumpall dump does');
  if (!PG_DUMPALL_TRAILER.test(text))
    throw new BrokenDumpError('the database dump is cut off: pg_dumpall\'s "dump complete" line is missing');
  const own = new Set([`DROP ROLE IF EXISTS ${IMMICH_DB_USER};`, `CREATE ROLE ${IMMICH_DB_USER};`]);
  return Buffer.from(
    text
      .split('\n')
      .filter((line) => !own.has(line))
      .join('\n'),
    'utf8',
  );
}

export const DATABASE_DUMPS: Record<StackProfileName, DatabaseDump> = {
  // Immich's documented backup: pg_dumpall inside its postgres container, restored with psql (the dump drops and
  // recreates what it holds: --clean --if-exists). Without role passwords: the role keeps the password of the
  // stack it is restored into (an inspection stack's differs from the instance's, and its app logs in with its
  // own). psql stops at the first error and exits non-zero. Run against plain PostgreSQL 15 here
  // (apps/provisioner/test/database-dump.test.ts), not Immich's own image with its vector extensions.
  immich: {
    role: 'db',
    command: ['pg_dumpall', '--clean', '--if-exists', '--no-role-passwords', `--username=${IMMICH_DB_USER}`],
    fileName: '/database/immich.sql',
    restore: {
      kind: 'exec',
      role: 'db',
      command: [
        'psql',
        `--username=${IMMICH_DB_USER}`,
        '--dbname=postgres',
        '--no-psqlrc',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
      ],
    },
    prepare: preparePgDumpall,
  },
  // The stand-in keeps its "database" (users, API keys, assets' records) in one JSON file in the library volume,
  // written atomically (temp file and rename): a `cat` inside the app container reads one consistent version. The
  // same file is also inside the library's tar; on restore the dump is written over it, last.
  standin: {
    role: 'app',
    command: ['cat', '/data/photo-app-standin.json'],
    fileName: '/database/photo-app-standin.json',
    restore: { kind: 'library-file', path: 'photo-app-standin.json' },
    prepare: (dump) => {
      try {
        JSON.parse(dump.toString('utf8'));
      } catch {
        throw new BrokenDumpError("the stand-in's database file in the backup is not valid JSON");
      }
      return dump;
    },
  },
};
