// Two portals over one database, as two processes behind a load balancer would be: each with its own Prisma client,
// prepared-statement pool, LISTEN connection and caches (issue 18's session-liveness and view-cache tests).
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import nodemailer from 'nodemailer';
import type { Portal } from '../../src/portal.ts';
import { startTestPortal, testPortalConfig } from './test-portal.ts';

export async function waitUntil(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface TwoPortals {
  db: CreatedDatabase;
  /** The test's own client, for rows written as another process would. */
  prisma: PrismaClient;
  a: Portal;
  b: Portal;
  close(): Promise<void>;
}

/** Both portals ready and listening; mail goes nowhere, the photo-app sync does nothing. */
export async function startTwoPortals(): Promise<TwoPortals> {
  const db = await createTestDatabase();
  const clients: PrismaClient[] = [];
  const portals: Portal[] = [];
  const portalOver = async (): Promise<Portal> => {
    const client = createPrismaClient(db.url);
    clients.push(client);
    const portal = await startTestPortal({
      prisma: client,
      config: testPortalConfig(db.url),
      overrides: {
        mailTransport: nodemailer.createTransport({ jsonTransport: true }),
        memberSync: { syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined },
      },
    });
    portals.push(portal);
    await portal.app.ready();
    return portal;
  };
  const close = async () => {
    for (const portal of portals) await portal.close();
    for (const client of clients) await client.$disconnect();
    await db.drop();
  };
  try {
    const prisma = createPrismaClient(db.url);
    clients.push(prisma);
    const a = await portalOver();
    const b = await portalOver();
    await waitUntil('both portals listening', () => a.sessionLiveness.listening && b.sessionLiveness.listening);
    return { db, prisma, a, b, close };
  } catch (err) {
    await close();
    throw err;
  }
}
