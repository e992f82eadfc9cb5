// What every repository is built over: the client itself or an interactive transaction, so a service can run
// several repository calls as one unit (see unit-of-work.ts) without the repositories knowing.
import type { Prisma, PrismaClient } from '@photoplane/db';

export type Db = PrismaClient | Prisma.TransactionClient;
