// One LISTEN connection per portal process, over which PostgreSQL tells it at commit what other processes (and its
// own) changed: the sign-ins that ended (identity/session-liveness-cache.ts) and the rows the signed-in views are
// read from (platform/data/view-cache.ts). Each consumer keeps a cache that is only used while the feed listens;
// when the connection drops every consumer is reset (emptied), and used again only once LISTEN is back, since what
// was missed in between is unknown.
//
// The barrier: a request that changed what other processes may have cached answers only after every portal
// listening on this database has processed every notification committed before it (notifications of all channels
// arrive in one stream, in commit order). So once the client has the answer, no process serves what it changed.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';

/** Barriers are sent on their own channel; each listener's answer is `<barrier id>:<its backend pid>`. */
const BARRIER_CHANNEL = 'photoplane_barrier';
const ACK_CHANNEL = 'photoplane_barrier_ack';
/** How every portal's LISTEN connection names itself, so a barrier can count them in pg_stat_activity. */
export const LISTENER_NAME = 'photoplane-portal-listen';

export interface ChangeConsumer {
  /** The channel this consumer's triggers notify; its payloads reach `changed`, in commit order. */
  channel: string;
  changed(payload: string): void;
  /** The feed stopped or started listening: forget everything (what was missed is unknown). */
  reset(): void;
}

export interface ChangeFeed {
  /** Adds a consumer; call before the first `ready` resolves (its channel is listened to on connect). */
  subscribe(consumer: ChangeConsumer): void;
  /** Whether the listener is up, so consumers may use what they remember. */
  readonly listening: boolean;
  /** Resolves once the first connection attempt has ended (listening or not). */
  readonly ready: Promise<void>;
  /**
   * Resolves once every portal process listening on this database has processed every notification committed
   * before the call. A listener that has not answered within `timeoutMs` has its connection terminated, which turns
   * that process's caches off until it listens again (it then starts empty).
   */
  barrier(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  databaseUrl: string;
  log: FastifyBaseLogger;
  /** Wait before reconnecting a dropped listener. */
  reconnectMs?: number;
}

export function createChangeFeed({ databaseUrl, log, reconnectMs = 1_000 }: ChangeFeedOptions): ChangeFeed {
  const consumers = new Map<string, ChangeConsumer>();
  const barriers = new Map<string, { acked: Set<number>; check: () => void }>();
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;

  const resetAll = () => {
    for (const consumer of consumers.values()) consumer.reset();
  };

  function onNotification(message: pg.Notification) {
    const payload = message.payload ?? '';
    if (message.channel === ACK_CHANNEL) {
      const [id = '', pid = ''] = payload.split(':');
      const waiting = barriers.get(id);
      waiting?.acked.add(Number(pid));
      waiting?.check();
      return;
    }
    if (message.channel === BARRIER_CHANNEL) {
      // Everything committed before this barrier has been handled above (same stream, commit order): answer it.
      client
        ?.query('SELECT pg_notify($1, $2 || pg_backend_pid())', [ACK_CHANNEL, `${payload}:`])
        .catch((err: unknown) => log.warn({ err }, 'change feed: could not answer a barrier'));
      return;
    }
    consumers.get(message.channel)?.changed(payload);
  }

  function down(err: unknown) {
    if (!listening && !client) return;
    listening = false;
    resetAll();
    const dropped = client;
    client = null;
    dropped?.removeAllListeners();
    dropped?.on('error', () => {});
    dropped?.end().catch(() => {});
    if (closed) return;
    log.warn({ err }, 'change feed: LISTEN connection lost; every read goes to the database until it is back');
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
      for (const channel of [BARRIER_CHANNEL, ACK_CHANNEL, ...consumers.keys()])
        await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      // The listener alone must not keep a process alive that is otherwise done (like an idle pool connection).
      (next as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      if (closed || client !== next) return;
      resetAll();
      listening = true;
    } catch (err) {
      down(err);
    }
  }

  // Started on the next turn, so the consumers made with this feed subscribe before their channels are listened to.
  const ready = new Promise<void>((resolve) => setImmediate(resolve)).then(connect);

  return {
    subscribe(consumer) {
      if (client) throw new Error(`change feed: ${consumer.channel} subscribed after the feed connected`);
      consumers.set(consumer.channel, consumer);
    },

    get listening() {
      return listening;
    },

    ready,

    async barrier(timeoutMs = 2_000) {
      await ready;
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
          [BARRIER_CHANNEL, id, LISTENER_NAME],
        );
        expected = rows[0]?.pids ?? [];
        settle();
        if (await done) return;
        const silent = expected.filter((pid) => !acked.has(pid));
        log.warn({ silent }, 'change feed: listeners did not answer a barrier; cutting them off');
        await current.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [silent]);
      } catch (err) {
        log.warn({ err }, 'change feed: barrier failed');
      } finally {
        clearTimeout(timer);
        barriers.delete(id);
      }
    },

    async close() {
      closed = true;
      clearTimeout(retry);
      await ready;
      listening = false;
      resetAll();
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
