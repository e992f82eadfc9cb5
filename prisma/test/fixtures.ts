// Rows for the tenancy tests: tenants (account → subscription → instance) and their members, plus a way to assert
// which PostgreSQL constraint refused a write.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { PrismaClient } from '@photoplane/db';
import type { MemberRole, MemberStatus } from '@photoplane/tenant-model';

export const GIB = 1024n ** 3n;

const suffix = (): string => randomBytes(4).toString('hex');

/** A plan, an account and a subscription with its instance: one tenant. */
export async function createTenant(prisma: PrismaClient, subdomain = `t-${suffix()}`) {
  const plan = await prisma.plan.upsert({
    where: { id: 'family' },
    update: {},
    create: { id: 'family', name: 'Family', storageBytes: 1024n * GIB, stripePriceId: 'price_family', priceCents: 900 },
  });
  const email = `owner-${suffix()}@example.org`;
  const account = await prisma.account.create({
    data: { email, emailNormalized: email, passwordHash: 'argon2id$test' },
  });
  const subscription = await prisma.subscription.create({
    data: { accountId: account.id, planId: plan.id, state: 'active' },
  });
  const instance = await prisma.instance.create({
    data: { subscriptionId: subscription.id, subdomain, state: 'active' },
  });
  return { accountId: account.id, subscriptionId: subscription.id, instanceId: instance.id };
}

export interface MemberOverrides {
  email?: string;
  storageLabel?: string | null;
  role?: MemberRole;
  status?: MemberStatus;
}

export async function createMember(prisma: PrismaClient, instanceId: string, overrides: MemberOverrides = {}) {
  const email = overrides.email ?? `member-${suffix()}@example.org`;
  return prisma.member.create({
    data: {
      instanceId,
      email,
      // What normaliseEmail does in the tenant model; the portal always writes both columns.
      emailNormalized: email.trim().toLowerCase(),
      name: email.split('@')[0] ?? 'member',
      role: overrides.role ?? 'user',
      status: overrides.status ?? 'active',
      storageLabel: overrides.storageLabel ?? null,
      ...(overrides.status === 'pending_deletion' ? { deletionRequestedAt: new Date() } : {}),
    },
  });
}

interface PgCause {
  originalCode?: string;
  originalMessage?: string;
}

/** The PostgreSQL error under a Prisma error: SQLSTATE and message, which names the constraint. */
function pgCauseOf(error: unknown): PgCause {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: PgCause } } }).meta;
  return meta?.driverAdapterError?.cause ?? {};
}

export const sqlState = {
  foreignKeyViolation: '23503',
  uniqueViolation: '23505',
  checkViolation: '23514',
  /** ON UPDATE/DELETE RESTRICT: a referenced key may not change. */
  restrictViolation: '23001',
} as const;

/** Asserts that the write was refused by PostgreSQL itself, with the given SQLSTATE and constraint. */
export async function assertRefusedByDatabase(
  write: Promise<unknown>,
  state: (typeof sqlState)[keyof typeof sqlState],
  constraint: string,
): Promise<void> {
  await assert.rejects(write, (error: unknown) => {
    const cause = pgCauseOf(error);
    assert.equal(cause.originalCode, state, `expected SQLSTATE ${state}, got: ${String(error)}`);
    assert.match(cause.originalMessage ?? '', new RegExp(`"${constraint}"`));
    return true;
  });
}

export { randomUUID };
