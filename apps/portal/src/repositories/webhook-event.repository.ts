// Stripe event ids already applied (SPEC P5). Written in the same transaction as the event's effect, so an event
// is applied exactly once however often Stripe delivers it.
import type { Db } from './db.ts';

export function createWebhookEventRepository(db: Db) {
  return {
    /**
     * False when the id is already there. A concurrent delivery of the same event waits on the primary key until
     * the first transaction ends, then finds it: of two deliveries exactly one gets true.
     */
    async markProcessed(id: string, type: string, at: Date): Promise<boolean> {
      const { count } = await db.processedWebhookEvent.createMany({
        data: [{ id, type, processedAt: at }],
        skipDuplicates: true,
      });
      return count === 1;
    },

    async exists(id: string): Promise<boolean> {
      return (await db.processedWebhookEvent.count({ where: { id } })) === 1;
    },
  };
}

export type WebhookEventRepository = ReturnType<typeof createWebhookEventRepository>;
