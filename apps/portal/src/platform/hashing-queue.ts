// A bounded queue in front of password hashing. argon2id with OWASP's parameters takes 19 MiB and tens of
// milliseconds of CPU per call, and three unauthenticated routes hash before anything else can refuse them
// (sign-in, sign-up, password reset): without a bound, a burst of such requests holds one 19 MiB buffer each and
// queues CPU work without end. At most `concurrency` hashes run at once and at most `maxWaiting` wait; a call
// beyond that fails at once with HashingBusyError (503 with Retry-After), so memory stays bounded and the rest of
// the portal keeps answering.
import { availableParallelism } from 'node:os';

export interface HashingLimits {
  /** Hashes running at once (each holds its memory cost). */
  concurrency: number;
  /** Calls allowed to wait for a slot; one more is refused. */
  maxWaiting: number;
}

/**
 * One core fewer than the machine has (at least one), so that argon2 on libuv's thread pool leaves the event loop a
 * core. Measured with bench/password-flood.bench.ts, it did not make /healthz measurably faster under a flood and cut
 * sign-in throughput several-fold on two cores, so it is not the default: PASSWORD_HASHING_CONCURRENCY can set it.
 */
export function defaultHashingConcurrency(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export const DEFAULT_HASHING_LIMITS: HashingLimits = { concurrency: 4, maxWaiting: 64 };

/** The portal is busy hashing passwords; the client should try again shortly. */
export class HashingBusyError extends Error {
  override name = 'HashingBusyError';
  readonly statusCode = 503;
  readonly retryAfterSeconds = 1;
  constructor() {
    super('The service is busy; try again in a moment.');
  }
}

export function createHashingQueue(limits: HashingLimits = DEFAULT_HASHING_LIMITS) {
  let running = 0;
  const waiting: (() => void)[] = [];

  function release() {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }

  return {
    /** Runs `task` when a slot is free; refuses at once when the queue is full. */
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < limits.concurrency) {
        running++;
      } else {
        if (waiting.length >= limits.maxWaiting) throw new HashingBusyError();
        // The slot is handed over by release(): `running` stays the same.
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: waiting.length }),
    /** A call now would be refused: lets a request be turned away before its body is read (app.ts). */
    full: () => running >= limits.concurrency && waiting.length >= limits.maxWaiting,
  };
}

export type HashingQueue = ReturnType<typeof createHashingQueue>;
