// @photoplane/db: the Prisma client for Photoplane's PostgreSQL database, and helpers to make databases.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

export { Prisma, PrismaClient } from './generated/prisma/client.ts';
export type * from './generated/prisma/models.ts';
export { createDatabaseFromTemplate, dropDatabase, migrateDeploy, type CreatedDatabase } from './databases.ts';
export { createAccessRepository, type AccessDb } from './repositories/access.repository.ts';
export { auditActions, recordAudit, type AuditAction, type AuditRecord } from './audit.ts';

export interface DbOptions {
  /** Pool size per process; the portal and the worker each hold one pool. */
  maxConnections?: number;
}

export function createPrismaClient(databaseUrl: string, options: DbOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
