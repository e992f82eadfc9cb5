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
}

export const DATABASE_DUMPS: Record<StackProfileName, DatabaseDump> = {
  // Immich's documented backup: pg_dumpall inside its postgres container, restored with psql (the dump drops and
  // recreates what it holds: --clean --if-exists). NOT RUN on this project's machines: Immich's images cannot be
  // pulled here (no container registry), so only the stand-in's dump below is tested.
  immich: {
    role: 'db',
    command: ['pg_dumpall', '--clean', '--if-exists', '--username=postgres'],
    fileName: '/database/immich.sql',
    restore: { kind: 'exec', role: 'db', command: ['psql', '--username=postgres', '--dbname=postgres', '-q'] },
  },
  // The stand-in keeps its "database" (users, API keys, assets' records) in one JSON file in the library volume,
  // written atomically (temp file and rename): a `cat` inside the app container reads one consistent version. The
  // same file is also inside the library's tar; on restore the dump is written over it, last.
  standin: {
    role: 'app',
    command: ['cat', '/data/photo-app-standin.json'],
    fileName: '/database/photo-app-standin.json',
    restore: { kind: 'library-file', path: 'photo-app-standin.json' },
  },
};
