// The staff session of `photoplane login`: the portal's URL, the account's e-mail and its token pair, in
// <config dir>/session.json, readable by the user alone (folder 0700, file 0600, replaced atomically). The refresh
// token is revocable (photoplane logout, or a superadmin's auth rm) and expires with the staff session.
import fs from 'node:fs/promises';
import path from 'node:path';

export interface StoredSession {
  url: string;
  email: string;
  accessToken: string;
  /** When the access token expires (ISO 8601); it is refreshed shortly before. */
  accessExpiresAt: string;
  refreshToken: string;
}

export function createSessionStore(configDir: string) {
  const file = path.join(configDir, 'session.json');
  return {
    file,
    async read(): Promise<StoredSession | null> {
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      return JSON.parse(text) as StoredSession;
    },
    async write(session: StoredSession): Promise<void> {
      await fs.mkdir(configDir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
      // A file left by an older version (or another umask) keeps 0600 too: the rename replaces it whole.
      await fs.chmod(tmp, 0o600);
      await fs.rename(tmp, file);
    },
    async remove(): Promise<void> {
      await fs.rm(file, { force: true });
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
