// The plan catalogue (SPEC P3): what configuration says, kept in the plan table for subscriptions to reference.
import { bytesToGib, DomainError } from '@photoplane/tenant-model';
import type { CatalogPlan } from '../config.ts';
import type { UnitOfWork } from '../repositories/unit-of-work.ts';

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
}

export function createPlanService({ repositories, plans }: { repositories: UnitOfWork; plans: CatalogPlan[] }) {
  return {
    /** Called at start: the table follows the configuration (new plans added, changed ones updated). */
    async syncPlans(): Promise<void> {
      for (const plan of plans) {
        const { id, name, storageBytes, stripePriceId, priceCents, currency } = plan;
        const publicLinks = plan.publicLinks ?? true;
        await repositories.plans.upsert({ id, name, storageBytes, stripePriceId, priceCents, currency, publicLinks });
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
