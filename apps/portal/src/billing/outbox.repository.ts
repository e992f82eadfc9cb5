// The outbox (issue 13): effects on Stripe and Temporal are rows written in the transaction of the change they
// follow, and sent after the commit by the dispatcher (billing/outbox-dispatcher.ts). Messages with one key (one
// subscription) are handed out one at a time and in id order, so effects on one subscription never overtake each
// other, and a re-read of Stripe never runs beside another one for the same subscription.
import type { Prisma, PrismaClient } from '@photoplane/db';
import type { Db } from '../platform/data/db.ts';

export interface OutboxMessage {
  id: bigint;
  key: string;
  kind: string;
  payload: unknown;
  idempotencyKey: string;
  attempts: number;
}

export interface NewOutboxMessage {
  key: string;
  kind: string;
  payload: Prisma.InputJsonValue;
  idempotencyKey: string;
}

export function createOutboxRepository(db: Db) {
  return {
    /** Adds a message; one with the same idempotency key already there makes this a no-op. */
    async add(message: NewOutboxMessage): Promise<void> {
      await db.outboxMessage.createMany({ data: [message], skipDuplicates: true });
    },

    /** True when a message of this kind and key is not done yet. */
    async hasUndone(key: string, kind: string): Promise<boolean> {
      const row = await db.outboxMessage.findFirst({
        where: { key, kind, doneAt: null },
        select: { id: true },
      });
      return row !== null;
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;

/** The dispatcher's side: over the client itself, never inside a caller's transaction. */
export function createOutboxQueue(prisma: PrismaClient) {
  return {
    /**
     * Leases up to `limit` due messages: of each key only its oldest undone message, and only while no dispatcher
     * holds it. A transaction-scoped advisory lock makes claims one at a time across portals, so two dispatchers
     * never both take a message of one key (the claim is one short statement; the work runs after it, lock-free).
     */
    async claim(limit: number, leaseMs: number): Promise<OutboxMessage[]> {
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('photoplane.outbox.claim'))`;
        return tx.$queryRaw<OutboxMessage[]>`
          WITH head AS (
                 SELECT DISTINCT ON (key) id, "availableAt", "leaseUntil"
                   FROM outbox_message WHERE "doneAt" IS NULL ORDER BY key, id),
               due AS (
                 SELECT id FROM head
                  WHERE "availableAt" <= now() AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
                  ORDER BY id LIMIT ${limit})
          UPDATE outbox_message m
             SET "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000}), attempts = m.attempts + 1
            FROM due WHERE m.id = due.id
          RETURNING m.id, m.key, m.kind, m.payload, m."idempotencyKey", m.attempts`;
      });
    },

    async markDone(id: bigint): Promise<void> {
      await prisma.$executeRaw`
        UPDATE outbox_message SET "doneAt" = now(), "leaseUntil" = NULL, "lastError" = NULL WHERE id = ${id}`;
    },

    /** Gives the message back, due again after `delayMs` (database time), with what went wrong. */
    async release(id: bigint, delayMs: number, error: string): Promise<void> {
      await prisma.$executeRaw`
        UPDATE outbox_message
           SET "leaseUntil" = NULL, "availableAt" = now() + make_interval(secs => ${delayMs / 1000}),
               "lastError" = ${error.slice(0, 2000)}
         WHERE id = ${id}`;
    },
  };
}

export type OutboxQueue = ReturnType<typeof createOutboxQueue>;
