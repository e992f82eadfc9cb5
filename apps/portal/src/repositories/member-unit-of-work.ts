// The repositories of the member use cases, over the client or one transaction (as unit-of-work.ts does for
// accounts), plus the tenant model's access port over the same connection.
import { createAccessRepository, type PrismaClient } from '@photoplane/db';
import { createAccountRepository } from './account.repository.ts';
import { createAuditEventRepository } from './audit-event.repository.ts';
import type { Db } from './db.ts';
import { createInvitationRepository } from './invitation.repository.ts';
import { createMemberAccountRepository } from './member-account.repository.ts';
import { createMemberPasswordResetRepository } from './member-password-reset.repository.ts';
import { createMemberSessionRepository } from './member-session.repository.ts';
import { createMemberRepository } from './member.repository.ts';
import type { PreparedSql } from './prepared.ts';

// `prepared`: the hot reads' statements (issue 18), outside transactions only.
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
  };
}

export type MemberRepositories = ReturnType<typeof createMemberRepositories>;

export interface MemberUnitOfWork extends MemberRepositories {
  transaction<T>(work: (repositories: MemberRepositories) => Promise<T>): Promise<T>;
}

export function createMemberUnitOfWork(prisma: PrismaClient, prepared?: PreparedSql): MemberUnitOfWork {
  return {
    ...createMemberRepositories(prisma, prepared),
    transaction: (work) => prisma.$transaction((tx) => work(createMemberRepositories(tx))),
  };
}
