// The repositories of the member use cases, over the client or one transaction (as unit-of-work.ts does for
// accounts), plus the tenant model's access port over the same connection.
import { createAccessRepository, type PrismaClient } from '@photoplane/db';
import { createAccountRepository } from './account.repository.ts';
import { createAuditEventRepository } from './audit-event.repository.ts';
import type { Db } from './db.ts';
import { createInvitationRepository } from './invitation.repository.ts';
import { createLinkBlockRepository } from './link-block.repository.ts';
import { createMemberAccountRepository } from './member-account.repository.ts';
import { createMemberPasswordResetRepository } from './member-password-reset.repository.ts';
import { createMemberSessionRepository } from './member-session.repository.ts';
import { createMemberRepository } from './member.repository.ts';

function createMemberRepositories(db: Db) {
  return {
    access: createAccessRepository(db),
    accounts: createAccountRepository(db),
    members: createMemberRepository(db),
    invitations: createInvitationRepository(db),
    memberSessions: createMemberSessionRepository(db),
    auditEvents: createAuditEventRepository(db),
    memberAccount: createMemberAccountRepository(db),
    passwordResets: createMemberPasswordResetRepository(db),
    linkBlocks: createLinkBlockRepository(db),
  };
}

export type MemberRepositories = ReturnType<typeof createMemberRepositories>;

export interface MemberUnitOfWork extends MemberRepositories {
  transaction<T>(work: (repositories: MemberRepositories) => Promise<T>): Promise<T>;
}

export function createMemberUnitOfWork(prisma: PrismaClient): MemberUnitOfWork {
  return {
    ...createMemberRepositories(prisma),
    transaction: (work) => prisma.$transaction((tx) => work(createMemberRepositories(tx))),
  };
}
