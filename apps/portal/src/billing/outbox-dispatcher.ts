// Sends the outbox's messages after their transaction committed (issue 13). A message is leased, its handler runs
// with no database lock held, and it is marked done; a failure gives it back with exponential backoff (the cause
// logged and kept on the row), so a Stripe or Temporal outage delays effects and loses none. The dispatcher polls,
// and `nudge()` (called after a commit that queued something) skips the wait.
import type { OutboxMessage, OutboxQueue } from './outbox.repository.ts';

export type OutboxHandler = (payload: unknown, message: OutboxMessage) => Promise<void>;
export type OutboxHandlers = Record<string, OutboxHandler>;

export interface OutboxDispatcherOptions {
  queue: OutboxQueue;
  handlers: OutboxHandlers;
  log: { warn(details: object, message: string): void; error(details: object, message: string): void };
  /** Between polls when idle (default 1 s). */
  pollMs?: number;
  /** First retry delay, doubled per attempt up to maxBackoffMs (defaults 1 s and 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a dispatcher may work on a message before another may take it (default 2 min). */
  leaseMs?: number;
  batch?: number;
}

export function backoffDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

function describe(err: unknown): string {
  return err instanceof Error
    ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
    : String(err);
}

export function createOutboxDispatcher(options: OutboxDispatcherOptions) {
  const { queue, handlers, log } = options;
  const pollMs = options.pollMs ?? 1000;
  const backoffMs = options.backoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  const leaseMs = options.leaseMs ?? 2 * 60_000;
  const batch = options.batch ?? 16;

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let nudged = false;

  async function send(message: OutboxMessage): Promise<void> {
    const handler = handlers[message.kind];
    try {
      if (!handler) throw new Error(`no handler for outbox messages of kind ${message.kind}`);
      await handler(message.payload, message);
      await queue.markDone(message.id);
    } catch (err) {
      const delay = backoffDelay(message.attempts, backoffMs, maxBackoffMs);
      log.warn(
        { err, outboxId: String(message.id), kind: message.kind, attempts: message.attempts, retryInMs: delay },
        'outbox message failed; retrying later',
      );
      await queue.release(message.id, delay, describe(err));
    }
  }

  /** Claims and sends due messages until none is due; true if it sent any. */
  async function drainOnce(): Promise<boolean> {
    const messages = await queue.claim(batch, leaseMs);
    // Different keys: independent of each other, sent side by side.
    await Promise.all(messages.map(send));
    return messages.length > 0;
  }

  async function run(): Promise<void> {
    while (running) {
      let busy = false;
      try {
        busy = await drainOnce();
      } catch (err) {
        log.error({ err }, 'outbox dispatcher could not claim messages; retrying');
      }
      if (!running) return;
      if (busy || nudged) {
        nudged = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Something was queued: look now rather than at the next poll. */
    nudge(): void {
      nudged = true;
      wake?.();
    },
    async stop(): Promise<void> {
      running = false;
      wake?.();
      await loop;
    },
  };
}

export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;
