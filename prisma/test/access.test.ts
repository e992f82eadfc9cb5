// The access repository answers "which of these ids may this party touch" from the database. Each test asks about
// a mix of ids the actor may touch and ids it may not: another member's, another instance's, unknown UUIDs and
// strings that are not UUIDs at all, and expects exactly the allowed ones back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAccessRepository, createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import {
  checkAccess,
  DomainError,
  requireAccess,
  type AccessPort,
  type AccountId,
  type ApiKeyId,
  type InstanceId,
  type MemberActor,
  type MemberId,
  type SessionId,
} from '@photoplane/tenant-model';
import { createMember, createTenant, randomUUID } from './fixtures.ts';

let db: CreatedDatabase;
let prisma: PrismaClient;
let access: AccessPort;

/** Ids that name nothing anyone may touch: a UUID no row has, and strings that are not UUIDs. */
const unknownIds = [randomUUID(), 'not-a-uuid', "x'); DROP TABLE member; --"];

// The world: instance A with alice (the actor), bob, carol and dave; instance B with bea.
// alice and bob each have an API key and a session; alice's account also has a portal session.
const w = {} as {
  a: { accountId: AccountId; instanceId: InstanceId };
  b: { accountId: AccountId; instanceId: InstanceId };
  alice: MemberId;
  bob: MemberId;
  carol: MemberId;
  dave: MemberId;
  deleted: MemberId;
  bea: MemberId;
  aliceKey: ApiKeyId;
  bobKey: ApiKeyId;
  aliceSession: SessionId;
  bobSession: SessionId;
  portalSession: SessionId;
};

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  access = createAccessRepository(prisma);

  const tenant = async (name: string) => {
    const t = await createTenant(prisma, `${name}-${randomUUID().slice(0, 8)}`);
    return { accountId: t.accountId as AccountId, instanceId: t.instanceId as InstanceId };
  };
  w.a = await tenant('a');
  w.b = await tenant('b');
  const member = async (instanceId: string, status: 'active' | 'deleted' = 'active') =>
    (await createMember(prisma, instanceId, { status })).id as MemberId;
  w.alice = await member(w.a.instanceId);
  w.bob = await member(w.a.instanceId);
  w.carol = await member(w.a.instanceId);
  w.dave = await member(w.a.instanceId);
  w.deleted = await member(w.a.instanceId, 'deleted');
  w.bea = await member(w.b.instanceId);

  const instanceId = w.a.instanceId;
  const key = async (memberId: MemberId) =>
    (await prisma.apiKey.create({ data: { instanceId, memberId, name: 'key', keyHash: randomUUID() } })).id as ApiKeyId;
  w.aliceKey = await key(w.alice);
  w.bobKey = await key(w.bob);

  const expiresAt = new Date(Date.now() + 86_400_000);
  const session = async (data: { realm: 'portal' | 'instance'; accountId?: string; memberId?: string }) =>
    (
      await prisma.session.create({
        data: {
          ...data,
          instanceId: data.memberId === undefined ? null : instanceId,
          refreshTokenHash: randomUUID(),
          familyId: randomUUID(),
          expiresAt,
        },
      })
    ).id as SessionId;
  w.aliceSession = await session({ realm: 'instance', memberId: w.alice });
  w.bobSession = await session({ realm: 'instance', memberId: w.bob });
  w.portalSession = await session({ realm: 'portal', accountId: w.a.accountId });
});

after(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

/** Asks about `allowed` mixed with `denied` and the unknown ids, and expects exactly `allowed` back. */
async function expectGranted<T extends string>(
  check: (ids: ReadonlySet<T>) => Promise<Set<T>>,
  allowed: T[],
  denied: T[],
): Promise<void> {
  const granted = await check(new Set([...allowed, ...denied, ...(unknownIds as T[])]));
  assert.deepEqual([...granted].sort(), [...allowed].sort());
}

describe('access repository: only ids in the actor instance that the actor may touch', () => {
  test('members: the non-deleted members of the given instance, never another instance’s', async () => {
    await expectGranted(
      (ids) => access.member.checkInstanceAccess(w.a.instanceId, ids),
      [w.alice, w.bob, w.carol, w.dave],
      [w.deleted, w.bea],
    );
    await expectGranted((ids) => access.member.checkInstanceAccess(w.b.instanceId, ids), [w.bea], [w.alice]);
  });

  test('api keys and sessions: only the actor’s own', async () => {
    await expectGranted((ids) => access.apiKey.checkOwnerAccess(w.alice, ids), [w.aliceKey], [w.bobKey]);
    await expectGranted(
      (ids) => access.session.checkOwnerAccess(w.alice, ids),
      [w.aliceSession],
      [w.bobSession, w.portalSession],
    );
  });

  test('instances: a customer reaches the instances of their own subscriptions only', async () => {
    await expectGranted(
      (ids) => access.instance.checkAccountAccess(w.a.accountId, ids),
      [w.a.instanceId],
      [w.b.instanceId],
    );
  });

  test('an actor id that is not a UUID is granted nothing rather than failing', async () => {
    assert.deepEqual(await access.apiKey.checkOwnerAccess('nobody' as MemberId, new Set([w.aliceKey])), new Set());
  });
});

describe('the tenant model over the repository', () => {
  const alice = (): MemberActor => ({ kind: 'member', memberId: w.alice, instanceId: w.a.instanceId, role: 'user' });

  test('a bulk request acts on the allowed subset only', async () => {
    const granted = await checkAccess(access, alice(), 'apiKey.manage', [
      w.aliceKey,
      w.bobKey,
      ...(unknownIds as ApiKeyId[]),
    ]);
    assert.deepEqual([...granted], [w.aliceKey]);
  });

  test('a member of another instance reads exactly like nobody: the same not_found', async () => {
    const errorFor = async (memberId: MemberId) => {
      try {
        await requireAccess(access, alice(), 'member.read', [memberId]);
      } catch (error) {
        assert.ok(error instanceof DomainError);
        return { code: error.code, message: error.message, details: error.details };
      }
      assert.fail('access was granted');
    };
    const strangerError = await errorFor(w.bea);
    assert.equal(strangerError.code, 'not_found');
    assert.deepEqual(strangerError, await errorFor(randomUUID() as MemberId));
    await requireAccess(access, alice(), 'member.read', [w.bob]);
  });
});
