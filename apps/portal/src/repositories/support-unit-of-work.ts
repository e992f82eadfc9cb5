// The repositories of the support use cases (SPEC A1-A5), over the client or one transaction: a staff action and
// its audit row are written together or not at all.
import type { PrismaClient } from '@photoplane/db';
import { createAccountRepository } from './account.repository.ts';
import { createAuditEventRepository } from './audit-event.repository.ts';
import type { Db } from './db.ts';
import { createFleetUpgradeRepository } from './fleet-upgrade.repository.ts';
import { createLinkBlockRepository } from './link-block.repository.ts';
import { createMemberRepository } from './member.repository.ts';
import { createStaffRepository } from './staff.repository.ts';
import { createSupportRepository } from './support.repository.ts';

function createSupportRepositories(db: Db) {
  return {
    accounts: createAccountRepository(db),
    auditEvents: createAuditEventRepository(db),
    members: createMemberRepository(db),
    support: createSupportRepository(db),
    staff: createStaffRepository(db),
    fleetUpgrades: createFleetUpgradeRepository(db),
    linkBlocks: createLinkBlockRepository(db),
  };
}

export type SupportRepositories = ReturnType<typeof createSupportRepositories>;

export interface SupportUnitOfWork extends SupportRepositories {
  transaction<T>(work: (repositories: SupportRepositories) => Promise<T>): Promise<T>;
}

export function createSupportUnitOfWork(prisma: PrismaClient): SupportUnitOfWork {
  return {
    ...createSupportRepositories(prisma),
    transaction: (work) => prisma.$transaction((tx) => work(createSupportRepositories(tx))),
  };
}
