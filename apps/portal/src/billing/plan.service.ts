// The plan catalogue (SPEC P3): what configuration says, kept in the plan table for subscriptions to reference.
import { bytesToGib, DomainError } from '@photoplane/tenant-model';
import type { CatalogPlan } from '../config.ts';
import type { UnitOfWork } from '../platform/data/unit-of-work.ts';

export interface PlanView {
  id: string;
  name: string;
  storageGib: number;
  /** Decimal string: bytes can exceed what JSON numbers hold exactly. */
  storageBytes: string;
  priceCents: number;
  currency: string;
  /** Whether its libraries may share public links (issue 14). */
  publicLinks: boolean;
  /** Every link must expire within this many days of being made; null: no limit (issue 14). */
  linkMaxExpiryDays: number | null;
  /** Every link must have a password (issue 14). */
  linkPasswordRequired: boolean;
}

export function createPlanService({ repositories, plans }: { repositories: UnitOfWork; plans: CatalogPlan[] }) {
  return {
    /** Called at start: the table follows the configuration (new plans added, changed ones updated). */
    async syncPlans(): Promise<void> {
      for (const plan of plans) {
        const { id, name, storageBytes, stripePriceId, priceCents, currency } = plan;
        await repositories.plans.upsert({
          id,
          name,
          storageBytes,
          stripePriceId,
          priceCents,
          currency,
          publicLinks: plan.publicLinks ?? true,
          linkMaxExpiryDays: plan.linkMaxExpiryDays ?? null,
          linkPasswordRequired: plan.linkPasswordRequired ?? false,
        });
      }
    },

    listPlans(): PlanView[] {
      return plans.map((p) => ({
        id: p.id,
        name: p.name,
        storageGib: Number(bytesToGib(p.storageBytes)),
        storageBytes: p.storageBytes.toString(),
        priceCents: p.priceCents,
        currency: p.currency,
        publicLinks: p.publicLinks ?? true,
        linkMaxExpiryDays: p.linkMaxExpiryDays ?? null,
        linkPasswordRequired: p.linkPasswordRequired ?? false,
      }));
    },

    /** Only configured plans can be bought. */
    getPlan(planId: string): CatalogPlan {
      const plan = plans.find((p) => p.id === planId);
      if (!plan) throw new DomainError('validation', `There is no plan '${planId}'.`, { field: 'planId' });
      return plan;
    },

    findPlanByPrice(stripePriceId: string): CatalogPlan | undefined {
      return plans.find((p) => p.stripePriceId === stripePriceId);
    },

    findPlan(planId: string): CatalogPlan | undefined {
      return plans.find((p) => p.id === planId);
    },
  };
}

export type PlanService = ReturnType<typeof createPlanService>;
