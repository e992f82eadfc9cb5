// Which portal sign-ins this process already knows to be live, so an authenticated request needs no statement of
// its own for the check (issue 18). Only "live until T" is remembered, never "ended"; T is the newest expiry of the
// sign-in's live rows, so expiry is checked on every hit. Everything that ends a session row (logout, refresh reuse,
// password reset, staff revocation, a deleted account's cascade) fires the `session_ended` trigger, whose NOTIFY
// reaches every portal process at commit; each drops that sign-in at once.
//
// Without a working LISTEN connection the cache is off (every request asks PostgreSQL, as before); it is emptied
// when the connection drops and used again only once LISTEN is back, since what was missed in between is unknown.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';

export const SESSION_ENDED_CHANNEL = 'photoplane_session_ended';
/** Each listener's answer to a barrier: `<barrier id>:<its backend pid>`. */
const ACK_CHANNEL = 'photoplane_session_ack';
const BARRIER_PREFIX = 'barrier:';
/** How every portal's LISTEN connection names itself, so a barrier can count them in pg_stat_activity. */
export const LISTENER_NAME = 'photoplane-portal-listen';

interface Entry {
  accountId: string;
  familyId: string;
  liveUntil: number;
}

export interface SessionLivenessCache {
  /** True when this sign-in is known live now; false means "ask the database" (unknown, never "ended"). */
  isKnownLive(sessionId: string, accountId: string, now: Date): boolean;
  /** A ticket to take before asking the database, so an answer that raced a revocation is not remembered. */
  ticket(): number;
  remember(ticket: number, sessionId: string, entry: Entry): void;
  /**
   * Resolves once every portal process listening on this database has processed every notification committed
   * before the call: each listener answers the barrier (notifications arrive in commit order, so it has dropped
   * what the revocation named first). A revoking request awaits it before it answers, so no process can still
   * accept the sign-in afterwards. A listener that has not answered within `timeoutMs` has its connection
   * terminated, which turns that process's cache off until it listens again (it then starts empty).
   */
  barrier(timeoutMs?: number): Promise<void>;
  /** Whether the listener is up and the cache in use. */
  readonly listening: boolean;
  readonly size: number;
  close(): Promise<void>;
}

export interface SessionLivenessCacheOptions {
  databaseUrl: string;
  log: FastifyBaseLogger;
  /** At most this many sign-ins are remembered; the oldest entry goes first. */
  maxEntries?: number;
  /** Wait before reconnecting a dropped listener. */
  reconnectMs?: number;
}

export function createSessionLivenessCache({
  databaseUrl,
  log,
  maxEntries = 100_000,
  reconnectMs = 1_000,
}: SessionLivenessCacheOptions): SessionLivenessCache {
  const entries = new Map<string, Entry>();
  const families = new Map<string, Set<string>>();
  const barriers = new Map<string, { acked: Set<number>; check: () => void }>();
  // Bumped by every notification and every change of listening state: an answer read under an older epoch may
  // predate a revocation this process has already heard of, so it is not remembered.
  let epoch = 0;
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  function forget(sessionId: string) {
    const entry = entries.get(sessionId);
    if (!entry) return;
    entries.delete(sessionId);
    const members = families.get(entry.familyId);
    members?.delete(sessionId);
    if (members?.size === 0) families.delete(entry.familyId);
  }

  function clear() {
    entries.clear();
    families.clear();
    epoch++;
  }

  function onNotification(message: pg.Notification) {
    const payload = message.payload ?? '';
    if (message.channel === ACK_CHANNEL) {
      const [id = '', pid = ''] = payload.split(':');
      const waiting = barriers.get(id);
      waiting?.acked.add(Number(pid));
      waiting?.check();
      return;
    }
    if (payload.startsWith(BARRIER_PREFIX)) {
      // Everything committed before this barrier has been handled above (same stream, commit order): answer it.
      client
        ?.query('SELECT pg_notify($1, $2 || pg_backend_pid())', [
          ACK_CHANNEL,
          `${payload.slice(BARRIER_PREFIX.length)}:`,
        ])
        .catch((err: unknown) => log.warn({ err }, 'session liveness: could not answer a barrier'));
      return;
    }
    epoch++;
    for (const sessionId of families.get(payload) ?? []) forget(sessionId);
    families.delete(payload);
  }

  function down(err: unknown) {
    if (!listening && !client) return;
    listening = false;
    clear();
    const dropped = client;
    client = null;
    dropped?.removeAllListeners();
    dropped?.on('error', () => {});
    dropped?.end().catch(() => {});
    if (closed) return;
    log.warn(
      { err },
      'session liveness: LISTEN connection lost; checking every request in the database until it is back',
    );
    retry = setTimeout(() => void connect(), reconnectMs);
    retry.unref();
  }

  async function connect(): Promise<void> {
    if (closed) return;
    const next = new pg.Client({ connectionString: databaseUrl, application_name: LISTENER_NAME });
    next.on('notification', onNotification);
    next.on('error', down);
    next.on('end', () => down(new Error('connection ended')));
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${SESSION_ENDED_CHANNEL}`);
      await next.query(`LISTEN ${ACK_CHANNEL}`);
      // The listener alone must not keep a process alive that is otherwise done (like an idle pool connection).
      (next as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      if (closed || client !== next) return;
      clear();
      listening = true;
    } catch (err) {
      down(err);
    }
  }

  const connecting = connect();

  return {
    isKnownLive(sessionId, accountId, now) {
      if (!listening) return false;
      const entry = entries.get(sessionId);
      if (!entry) return false;
      if (entry.accountId !== accountId) return false;
      if (entry.liveUntil <= now.getTime()) {
        forget(sessionId);
        return false;
      }
      return true;
    },

    ticket: () => (listening ? epoch : -1),

    remember(ticket, sessionId, entry) {
      if (!listening || ticket !== epoch) return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) forget(oldest.value);
      }
      forget(sessionId);
      entries.set(sessionId, entry);
      let members = families.get(entry.familyId);
      if (!members) families.set(entry.familyId, (members = new Set()));
      members.add(sessionId);
    },

    async barrier(timeoutMs = 2_000) {
      await connecting;
      const current = client;
      if (!listening || !current) return;
      const id = randomUUID();
      const acked = new Set<number>();
      let expected: number[] = [];
      let timer: NodeJS.Timeout | undefined;
      let settle = () => {};
      const done = new Promise<boolean>((resolve) => {
        const check = () => {
          if (expected.length > 0 && expected.every((pid) => acked.has(pid))) resolve(true);
        };
        settle = check;
        barriers.set(id, { acked, check });
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        // The listeners are counted in the statement that sends the barrier: one that connects later starts empty.
        const { rows } = await current.query<{ pids: number[] }>(
          `SELECT pg_notify($1, $2),
                  array(SELECT pid FROM pg_stat_activity
                         WHERE application_name = $3 AND datname = current_database()) AS pids`,
          [SESSION_ENDED_CHANNEL, BARRIER_PREFIX + id, LISTENER_NAME],
        );
        expected = rows[0]?.pids ?? [];
        settle();
        if (await done) return;
        const silent = expected.filter((pid) => !acked.has(pid));
        log.warn({ silent }, 'session liveness: listeners did not answer a barrier; cutting them off');
        await current.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [silent]);
      } catch (err) {
        log.warn({ err }, 'session liveness: barrier failed');
      } finally {
        clearTimeout(timer);
        barriers.delete(id);
      }
    },

    get listening() {
      return listening;
    },

    get size() {
      return entries.size;
    },

    async close() {
      closed = true;
      clearTimeout(retry);
      await connecting;
      listening = false;
      clear();
      const last = client;
      client = null;
      if (last) {
        last.removeAllListeners();
        last.on('error', () => {});
        await last.end().catch(() => {});
      }
    },
  };
}
