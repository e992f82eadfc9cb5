// The signed-in reads every portal page makes (the account, the subscription view, the members' view of an
// instance) answered from this process's memory while nothing they were read from has changed (issue 18). Each
// remembered view names the rows it was read from as tags (`account:<id>`, `subscription:<id>`, `instance:<id>`,
// `subdomain:<name>`, `plan:<id>`); the `view_changed` triggers NOTIFY those tags at commit, from every process that
// writes (portal, provisioner, SQL by hand), and the change feed drops every view that named one.
//
// Kept true:
// - a view read while a change to one of its rows was heard is not remembered (the changes heard meanwhile are
//   compared with its tags);
// - while the feed does not listen nothing is remembered or served, and what was remembered is gone;
// - a portal request that changed something answers only after the feed's barrier (portal.ts), so the client that
//   made a change never reads the view before it, from any process;
// - TRUNCATE of a table the views read forgets everything (`*`).
// Only GET routes read through the cache; a decision that writes reads the database.
import type { ChangeFeed } from './change-feed.ts';

export const VIEW_CHANGED_CHANNEL = 'photoplane_view_changed';
const EVERYTHING = '*';
/** How many recent changes are kept to tell whether a view read meanwhile is still true. */
const RECENT = 1024;

interface Entry {
  value: unknown;
  tags: string[];
}

export interface ViewCache {
  /**
   * The view `key` (unique across views, e.g. `subscription:<account id>`) from memory, or from `load`, remembered
   * under the tags `tagsOf` names for it. Two requests that miss at once both load; the later answer wins.
   */
  read<T>(key: string, load: () => Promise<T>, tagsOf: (value: T) => string[]): Promise<T>;
  readonly size: number;
}

/** Reads every time: for services made without a cache (tests of one service, tools). */
export const uncachedViews: ViewCache = { read: (_key, load) => load(), size: 0 };

export interface ViewCacheOptions {
  feed: ChangeFeed;
  /** At most this many views are remembered; the oldest goes first. */
  maxEntries?: number;
}

export function createViewCache({ feed, maxEntries = 50_000 }: ViewCacheOptions): ViewCache {
  const entries = new Map<string, Entry>();
  const byTag = new Map<string, Set<string>>();
  // Every change heard bumps the epoch and is kept in `recent` at its epoch: a view read from ticket T is remembered
  // only if none of the changes after T named one of its tags (older than RECENT changes: not remembered).
  let epoch = 0;
  const recent: string[] = new Array<string>(RECENT);

  function heard(tag: string) {
    epoch++;
    recent[epoch % RECENT] = tag;
  }

  function stillTrue(ticket: number, tags: string[]): boolean {
    if (epoch - ticket >= RECENT) return false;
    for (let e = ticket + 1; e <= epoch; e++) {
      const tag = recent[e % RECENT] as string;
      if (tag === EVERYTHING || tags.includes(tag)) return false;
    }
    return true;
  }

  function forget(key: string) {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    for (const tag of entry.tags) {
      const keys = byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) byTag.delete(tag);
    }
  }

  function clear() {
    entries.clear();
    byTag.clear();
    heard(EVERYTHING);
  }

  feed.subscribe({
    channel: VIEW_CHANGED_CHANNEL,
    changed(tag) {
      if (tag === EVERYTHING) return clear();
      heard(tag);
      for (const key of byTag.get(tag) ?? []) forget(key);
    },
    reset: clear,
  });

  return {
    async read<T>(key: string, load: () => Promise<T>, tagsOf: (value: T) => string[]): Promise<T> {
      if (feed.listening) {
        const hit = entries.get(key);
        if (hit) return hit.value as T;
      }
      const ticket = feed.listening ? epoch : -1;
      const value = await load();
      if (ticket === -1 || !feed.listening) return value;
      const tags = [...new Set(tagsOf(value))];
      if (stillTrue(ticket, tags)) {
        if (entries.size >= maxEntries) {
          const oldest = entries.keys().next();
          if (!oldest.done) forget(oldest.value);
        }
        forget(key);
        entries.set(key, { value, tags });
        for (const tag of tags) {
          let keys = byTag.get(tag);
          if (!keys) byTag.set(tag, (keys = new Set()));
          keys.add(key);
        }
      }
      return value;
    },

    get size() {
      return entries.size;
    },
  };
}
