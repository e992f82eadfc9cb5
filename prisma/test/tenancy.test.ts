// Tenancy is in the keys (DESIGN.md): these tests write straight to PostgreSQL, around any application logic, and
// check that the database itself refuses what the tenancy rules forbid.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { assertRefusedByDatabase, createMember, createTenant, GIB, randomUUID, sqlState } from './fixtures.ts';

let db: CreatedDatabase;
let prisma: PrismaClient;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
});

after(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

test('an API key cannot name a member of another instance (composite foreign key)', async () => {
  const a = await createTenant(prisma);
  const b = await createTenant(prisma);
  await createMember(prisma, a.instanceId);
  const bea = await createMember(prisma, b.instanceId);
  await assertRefusedByDatabase(
    prisma.apiKey.create({ data: { instanceId: a.instanceId, memberId: bea.id, name: 'k', keyHash: randomUUID() } }),
    sqlState.foreignKeyViolation,
    'api_key_instanceId_memberId_fkey',
  );
});

test('a member never moves to another instance while anything of theirs references them', async () => {
  const a = await createTenant(prisma);
  const b = await createTenant(prisma);
  const ann = await createMember(prisma, a.instanceId);
  await prisma.apiKey.create({
    data: { instanceId: a.instanceId, memberId: ann.id, name: 'k', keyHash: randomUUID() },
  });

  await assertRefusedByDatabase(
    prisma.member.update({ where: { id: ann.id }, data: { instanceId: b.instanceId } }),
    sqlState.restrictViolation,
    'api_key_instanceId_memberId_fkey',
  );
});

test('the same e-mail differing only in case cannot be used twice in one instance', async () => {
  const { instanceId } = await createTenant(prisma);
  await createMember(prisma, instanceId, { email: 'Ann.Smith@Example.org' });

  await assertRefusedByDatabase(
    createMember(prisma, instanceId, { email: 'ann.smith@EXAMPLE.ORG' }),
    sqlState.uniqueViolation,
    'member_instanceId_emailNormalized_key',
  );
});

test('the same e-mail on two instances is two unrelated members', async () => {
  const a = await createTenant(prisma);
  const b = await createTenant(prisma);
  const inA = await createMember(prisma, a.instanceId, { email: 'same@example.org' });
  const inB = await createMember(prisma, b.instanceId, { email: 'Same@Example.org' });

  assert.notEqual(inA.id, inB.id);
  assert.equal(await prisma.member.count({ where: { emailNormalized: 'same@example.org' } }), 2);
});

test('a normalised e-mail column that is not lowercase and trimmed is refused, so case cannot slip past the index', async () => {
  const { instanceId } = await createTenant(prisma);
  await assertRefusedByDatabase(
    prisma.member.create({
      data: { instanceId, email: 'Ann@example.org', emailNormalized: 'Ann@example.org', name: 'Ann' },
    }),
    sqlState.checkViolation,
    'member_email_normalized_ck',
  );
  await assertRefusedByDatabase(
    prisma.account.create({ data: { email: 'x@y.org', emailNormalized: ' x@y.org', passwordHash: 'h' } }),
    sqlState.checkViolation,
    'account_email_normalized_ck',
  );
});

test('an account e-mail is unique regardless of case', async () => {
  await prisma.account.create({
    data: { email: 'Staff@Example.org', emailNormalized: 'staff@example.org', role: 'support', passwordHash: 'h' },
  });
  await assertRefusedByDatabase(
    prisma.account.create({
      data: { email: 'STAFF@example.org', emailNormalized: 'staff@example.org', passwordHash: 'h' },
    }),
    sqlState.uniqueViolation,
    'account_emailNormalized_key',
  );
});

test('a storage label is unique within an instance, free in another, and must be a lowercase path segment', async () => {
  const a = await createTenant(prisma);
  const b = await createTenant(prisma);
  await createMember(prisma, a.instanceId, { storageLabel: 'ann' });

  await assertRefusedByDatabase(
    createMember(prisma, a.instanceId, { storageLabel: 'ann' }),
    sqlState.uniqueViolation,
    'member_instanceId_storageLabel_key',
  );
  await createMember(prisma, b.instanceId, { storageLabel: 'ann' });
  // Members without a label (upload path uses the id) do not collide with each other.
  await createMember(prisma, a.instanceId);
  await createMember(prisma, a.instanceId);
  for (const label of ['Ann', '../ann', '.hidden', 'a/b']) {
    await assertRefusedByDatabase(
      createMember(prisma, a.instanceId, { storageLabel: label }),
      sqlState.checkViolation,
      'member_storage_label_ck',
    );
  }
});

test('a Stripe webhook event id is recorded once, so a redelivery can be detected atomically', async () => {
  const record = (id: string) =>
    prisma.$executeRaw`INSERT INTO "processed_webhook_event" ("id", "type") VALUES (${id}, 'invoice.paid')
      ON CONFLICT ("id") DO NOTHING`;

  assert.equal(await record('evt_1'), 1, 'first delivery is recorded');
  assert.equal(await record('evt_1'), 0, 'a redelivery inserts nothing');
  await assertRefusedByDatabase(
    prisma.processedWebhookEvent.create({ data: { id: 'evt_1', type: 'invoice.paid' } }),
    sqlState.uniqueViolation,
    'processed_webhook_event_pkey',
  );
});

test('a subscription has at most one instance', async () => {
  const { subscriptionId } = await createTenant(prisma);

  await assertRefusedByDatabase(
    prisma.instance.create({ data: { subscriptionId, subdomain: `second-${randomUUID().slice(0, 8)}` } }),
    sqlState.uniqueViolation,
    'instance_subscriptionId_key',
  );
});

test('a subdomain is unique, and stored lowercase so that uniqueness is case-insensitive', async () => {
  await createTenant(prisma, 'smith-family');

  await assertRefusedByDatabase(
    createTenant(prisma, 'smith-family'),
    sqlState.uniqueViolation,
    'instance_subdomain_key',
  );
  for (const subdomain of ['Smith-Family', '-smith', 'ab', 'smith.family']) {
    await assertRefusedByDatabase(createTenant(prisma, subdomain), sqlState.checkViolation, 'instance_subdomain_ck');
  }
});

test('a quota is a positive bigint or null for unlimited, and large byte counts survive the round trip', async () => {
  const { instanceId } = await createTenant(prisma);
  const member = await createMember(prisma, instanceId);
  const sixteenTiB = 16n * 1024n * GIB + 1n;

  const updated = await prisma.member.update({
    where: { id: member.id },
    data: { quotaBytes: sixteenTiB, usageBytes: sixteenTiB - 1n },
  });
  assert.equal(updated.quotaBytes, sixteenTiB);
  assert.equal(typeof updated.usageBytes, 'bigint');
  assert.equal((await prisma.member.update({ where: { id: member.id }, data: { quotaBytes: null } })).quotaBytes, null);
  await assertRefusedByDatabase(
    prisma.member.update({ where: { id: member.id }, data: { quotaBytes: 0n } }),
    sqlState.checkViolation,
    'member_quota_ck',
  );
});

test('a session belongs to exactly one realm: an account in the portal or a member in an instance', async () => {
  const { accountId, instanceId } = await createTenant(prisma);
  const member = await createMember(prisma, instanceId);
  const session = (data: {
    realm: 'portal' | 'instance';
    accountId?: string;
    instanceId?: string;
    memberId?: string;
  }) =>
    prisma.session.create({
      data: { ...data, refreshTokenHash: randomUUID(), familyId: randomUUID(), expiresAt: new Date(Date.now() + 1e6) },
    });

  await session({ realm: 'portal', accountId });
  await session({ realm: 'instance', instanceId, memberId: member.id });
  await assertRefusedByDatabase(
    session({ realm: 'instance', memberId: member.id }),
    sqlState.checkViolation,
    'session_realm_ck',
  );
  await assertRefusedByDatabase(
    session({ realm: 'portal', accountId, instanceId, memberId: member.id }),
    sqlState.checkViolation,
    'session_realm_ck',
  );
});

test('purging a member removes their API keys and invitations (the composite keys cascade)', async () => {
  const { instanceId } = await createTenant(prisma);
  const ann = await createMember(prisma, instanceId);
  const bob = await createMember(prisma, instanceId);
  await prisma.apiKey.create({ data: { instanceId, memberId: ann.id, name: 'k', keyHash: randomUUID() } });
  await prisma.apiKey.create({ data: { instanceId, memberId: bob.id, name: 'k', keyHash: randomUUID() } });
  await prisma.invitation.create({
    data: { instanceId, memberId: ann.id, tokenHash: randomUUID(), expiresAt: new Date(Date.now() + 60_000) },
  });

  await prisma.member.delete({ where: { id: ann.id } });

  assert.equal(await prisma.apiKey.count({ where: { instanceId, memberId: ann.id } }), 0);
  assert.equal(await prisma.invitation.count({ where: { instanceId } }), 0);
  assert.equal(await prisma.apiKey.count({ where: { instanceId } }), 1, "the other member's key stays");
  assert.equal(await prisma.member.count({ where: { instanceId } }), 1, 'the other member stays');
});
