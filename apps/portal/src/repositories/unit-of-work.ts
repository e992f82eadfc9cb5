// The account repositories, over the client or over one transaction: a use case that must change several
// tables together (redeem a token and verify the address; rotate a refresh token) runs them in `transaction`.
import type { PrismaClient } from '@photoplane/db';
import { createAccountTokenRepository } from './account-token.repository.ts';
import { createAccountRepository } from './account.repository.ts';
import { createAuditEventRepository } from './audit-event.repository.ts';
import type { Db } from './db.ts';
import { createLoginAttemptRepository } from './login-attempt.repository.ts';
import { createOutboxRepository } from './outbox.repository.ts';
import { createPlanRepository } from './plan.repository.ts';
import { createSessionRepository } from './session.repository.ts';
import { createSubscriptionRepository } from './subscription.repository.ts';
import { createWebhookEventRepository } from './webhook-event.repository.ts';

function createRepositories(db: Db) {
  return {
    accounts: createAccountRepository(db),
    accountTokens: createAccountTokenRepository(db),
    sessions: createSessionRepository(db),
    loginAttempts: createLoginAttemptRepository(db),
    auditEvents: createAuditEventRepository(db),
    plans: createPlanRepository(db),
    subscriptions: createSubscriptionRepository(db),
    webhookEvents: createWebhookEventRepository(db),
    outbox: createOutboxRepository(db),
  };
}

export type AccountRepositories = ReturnType<typeof createRepositories>;

export interface UnitOfWork extends AccountRepositories {
  transaction<T>(work: (repositories: AccountRepositories) => Promise<T>): Promise<T>;
}

export function createUnitOfWork(prisma: PrismaClient): UnitOfWork {
  return {
    ...createRepositories(prisma),
    transaction: (work) => prisma.$transaction((tx) => work(createRepositories(tx))),
  };
}
