// Which portal sign-ins this process already knows to be live, so an authenticated request needs no statement of
// its own for the check (issue 18). Only "live until T" is remembered, never "ended"; T is the newest expiry of the
// sign-in's live rows, so expiry is checked on every hit. Everything that ends a session row (logout, refresh reuse,
// password reset, staff revocation, a deleted account's cascade) fires the `session_ended` trigger, whose NOTIFY
// reaches every portal process at commit through its change feed; each drops that sign-in at once.
//
// While the feed does not listen the cache is off (every request asks PostgreSQL, as before); it is emptied when the
// connection drops and used again only once LISTEN is back, since what was missed in between is unknown.
import type { ChangeFeed } from '../platform/data/change-feed.ts';

export const SESSION_ENDED_CHANNEL = 'photoplane_session_ended';

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
   * The feed's barrier: resolves once every portal process has dropped what was revoked before the call. A revoking
   * request awaits it before it answers, so no process can still accept the sign-in afterwards.
   */
  barrier(timeoutMs?: number): Promise<void>;
  /** Whether the feed is up and the cache in use. */
  readonly listening: boolean;
  readonly size: number;
}

export interface SessionLivenessCacheOptions {
  feed: ChangeFeed;
  /** At most this many sign-ins are remembered; the oldest entry goes first. */
  maxEntries?: number;
}

export function createSessionLivenessCache({
  feed,
  maxEntries = 100_000,
}: SessionLivenessCacheOptions): SessionLivenessCache {
  const entries = new Map<string, Entry>();
  const families = new Map<string, Set<string>>();
  // Bumped by every notification and every reset: an answer read under an older epoch may predate a revocation this
  // process has already heard of, so it is not remembered.
  let epoch = 0;

  function forget(sessionId: string) {
    const entry = entries.get(sessionId);
    if (!entry) return;
    entries.delete(sessionId);
    const members = families.get(entry.familyId);
    members?.delete(sessionId);
    if (members?.size === 0) families.delete(entry.familyId);
  }

  feed.subscribe({
    channel: SESSION_ENDED_CHANNEL,
    changed(familyId) {
      epoch++;
      for (const sessionId of families.get(familyId) ?? []) forget(sessionId);
      families.delete(familyId);
    },
    reset() {
      entries.clear();
      families.clear();
      epoch++;
    },
  });

  return {
    isKnownLive(sessionId, accountId, now) {
      if (!feed.listening) return false;
      const entry = entries.get(sessionId);
      if (!entry) return false;
      if (entry.accountId !== accountId) return false;
      if (entry.liveUntil <= now.getTime()) {
        forget(sessionId);
        return false;
      }
      return true;
    },

    ticket: () => (feed.listening ? epoch : -1),

    remember(ticket, sessionId, entry) {
      if (!feed.listening || ticket !== epoch) return;
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

    barrier: (timeoutMs) => feed.barrier(timeoutMs),

    get listening() {
      return feed.listening;
    },

    get size() {
      return entries.size;
    },
  };
}
