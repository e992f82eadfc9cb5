// The account repositories, over the client or over one transaction: a use case that must change several
// tables together (redeem a token and verify the address; rotate a refresh token) runs them in `transaction`.
import type { PrismaClient } from '@photoplane/db';
import { createAccountTokenRepository } from './account-token.repository.ts';
import { createAccountRepository } from './account.repository.ts';
import { createAuditEventRepository } from './audit-event.repository.ts';
import type { Db } from './db.ts';
import { createLoginAttemptRepository } from './login-attempt.repository.ts';
import { createOutboxRepository } from './outbox.repository.ts';
import type { PreparedSql } from './prepared.ts';
import { createPlanRepository } from './plan.repository.ts';
import { createSessionRepository } from './session.repository.ts';
import { createSubscriptionRepository } from './subscription.repository.ts';
import { createWebhookEventRepository } from './webhook-event.repository.ts';

// `prepared`: the hot reads' statements (issue 18), outside transactions only; inside one, every read goes through it.
function createRepositories(db: Db, prepared?: PreparedSql) {
  return {
    accounts: createAccountRepository(db, prepared),
    accountTokens: createAccountTokenRepository(db),
    sessions: createSessionRepository(db, prepared),
    loginAttempts: createLoginAttemptRepository(db),
    auditEvents: createAuditEventRepository(db),
    plans: createPlanRepository(db),
    subscriptions: createSubscriptionRepository(db, prepared),
    webhookEvents: createWebhookEventRepository(db),
    outbox: createOutboxRepository(db),
  };
}

export type AccountRepositories = ReturnType<typeof createRepositories>;

export interface UnitOfWork extends AccountRepositories {
  transaction<T>(work: (repositories: AccountRepositories) => Promise<T>): Promise<T>;
}

export function createUnitOfWork(prisma: PrismaClient, prepared?: PreparedSql): UnitOfWork {
  return {
    ...createRepositories(prisma, prepared),
    transaction: (work) => prisma.$transaction((tx) => work(createRepositories(tx))),
  };
}
