// A use case's repositories, over the client or over one transaction: a use case that must change several tables
// together (redeem a token and verify the address; rotate a refresh token; a staff action and its audit row) runs
// them in `transaction`, and they are written together or not at all. One mechanism, three narrow sets: each
// family of use cases sees only the repositories it needs (accounts and billing, members, support).
import { createAccessRepository, type PrismaClient } from '@photoplane/db';
import { createAccountTokenRepository } from '../../identity/account-token.repository.ts';
import { createAccountRepository } from '../../identity/account.repository.ts';
import { createAuditEventRepository } from '../audit-event.repository.ts';
import type { Db } from './db.ts';
import { createFleetUpgradeRepository } from '../../support/fleet-upgrade.repository.ts';
import { createInvitationRepository } from '../../members/invitation.repository.ts';
import { createLinkBlockRepository } from '../../edge/link-block.repository.ts';
import { createLoginAttemptRepository } from '../../identity/login-attempt.repository.ts';
import { createMemberAccountRepository } from '../../members/member-account.repository.ts';
import { createMemberPasswordResetRepository } from '../../members/member-password-reset.repository.ts';
import { createMemberSessionRepository } from '../../members/member-session.repository.ts';
import { createMemberRepository } from '../../members/member.repository.ts';
import { createOutboxRepository } from '../../billing/outbox.repository.ts';
import type { PreparedSql } from './prepared.ts';
import { createPlanRepository } from '../../billing/plan.repository.ts';
import { createSessionRepository } from '../../identity/session.repository.ts';
import { createStaffRepository } from '../../identity/staff.repository.ts';
import { createSubscriptionRepository } from '../../billing/subscription.repository.ts';
import { createSupportRepository } from '../../support/support.repository.ts';
import { createWebhookEventRepository } from '../../billing/webhook-event.repository.ts';

/** A set of repositories over `db`, plus `transaction`, which runs `work` with the same set over one transaction. */
export type UnitOfWorkOf<R> = R & { transaction<T>(work: (repositories: R) => Promise<T>): Promise<T> };

/**
 * `prepared`: the hot reads' prepared statements (issue 18), given to the set over the client only; inside a
 * transaction every read goes through it.
 */
function unitOfWork<R extends object>(
  prisma: PrismaClient,
  repositories: (db: Db, prepared?: PreparedSql) => R,
  prepared?: PreparedSql,
): UnitOfWorkOf<R> {
  return {
    ...repositories(prisma, prepared),
    transaction: (work) => prisma.$transaction((tx) => work(repositories(tx))),
  };
}

// Accounts, sessions and billing (SPEC P1-P8).
function createAccountRepositories(db: Db, prepared?: PreparedSql) {
  return {
    accounts: createAccountRepository(db, prepared),
    accountTokens: createAccountTokenRepository(db),
    sessions: createSessionRepository(db, prepared),
    loginAttempts: createLoginAttemptRepository(db),
    auditEvents: createAuditEventRepository(db),
    plans: createPlanRepository(db),
    subscriptions: createSubscriptionRepository(db, prepared),
    webhookEvents: createWebhookEventRepository(db, prepared),
    outbox: createOutboxRepository(db),
  };
}

// Members of an instance, plus the tenant model's access port over the same connection.
function createMemberRepositories(db: Db, prepared?: PreparedSql) {
  return {
    access: createAccessRepository(db),
    accounts: createAccountRepository(db, prepared),
    members: createMemberRepository(db, prepared),
    invitations: createInvitationRepository(db),
    memberSessions: createMemberSessionRepository(db),
    auditEvents: createAuditEventRepository(db),
    memberAccount: createMemberAccountRepository(db),
    passwordResets: createMemberPasswordResetRepository(db),
    linkBlocks: createLinkBlockRepository(db),
  };
}

// The support use cases (SPEC A1-A5).
function createSupportRepositories(db: Db) {
  return {
    accounts: createAccountRepository(db),
    auditEvents: createAuditEventRepository(db),
    members: createMemberRepository(db),
    support: createSupportRepository(db),
    staff: createStaffRepository(db),
    fleetUpgrades: createFleetUpgradeRepository(db),
    linkBlocks: createLinkBlockRepository(db),
    outbox: createOutboxRepository(db),
  };
}

export type AccountRepositories = ReturnType<typeof createAccountRepositories>;
export type MemberRepositories = ReturnType<typeof createMemberRepositories>;
export type SupportRepositories = ReturnType<typeof createSupportRepositories>;

export type UnitOfWork = UnitOfWorkOf<AccountRepositories>;
export type MemberUnitOfWork = UnitOfWorkOf<MemberRepositories>;
export type SupportUnitOfWork = UnitOfWorkOf<SupportRepositories>;

export function createUnitOfWork(prisma: PrismaClient, prepared?: PreparedSql): UnitOfWork {
  return unitOfWork(prisma, createAccountRepositories, prepared);
}

export function createMemberUnitOfWork(prisma: PrismaClient, prepared?: PreparedSql): MemberUnitOfWork {
  return unitOfWork(prisma, createMemberRepositories, prepared);
}

export function createSupportUnitOfWork(prisma: PrismaClient): SupportUnitOfWork {
  return unitOfWork(prisma, createSupportRepositories);
}
