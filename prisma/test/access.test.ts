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
  type AlbumId,
  type ApiKeyId,
  type AssetId,
  type InstanceId,
  type MemberActor,
  type MemberId,
  type SessionId,
  type SharedLinkId,
} from '@photoplane/tenant-model';
import { createMember, createTenant, randomUUID } from './fixtures.ts';

let db: CreatedDatabase;
let prisma: PrismaClient;
let access: AccessPort;

/** Ids that name nothing anyone may touch: a UUID no row has, and strings that are not UUIDs. */
const unknownIds = [randomUUID(), 'not-a-uuid', "x'); DROP TABLE member; --"];

// The world: instance A with alice (the actor), bob, carol and dave; instance B with bea.
// bob partner-shares with alice; alice partner-shares with dave (one-way: alice sees nothing of dave's).
// carol owns an album shared with alice as viewer, bob one shared with her as editor.
const w = {} as {
  a: { accountId: AccountId; instanceId: InstanceId };
  b: { accountId: AccountId; instanceId: InstanceId };
  alice: MemberId;
  bob: MemberId;
  carol: MemberId;
  dave: MemberId;
  deleted: MemberId;
  bea: MemberId;
  aliceAlbum: AlbumId;
  carolAlbumForAlice: AlbumId;
  bobAlbumForAliceAsEditor: AlbumId;
  carolPrivateAlbum: AlbumId;
  beaAlbum: AlbumId;
  aliceAsset: AssetId;
  aliceTrashed: AssetId;
  bobAsset: AssetId;
  bobArchived: AssetId;
  bobTrashed: AssetId;
  carolInSharedAlbum: AssetId;
  carolTrashedInSharedAlbum: AssetId;
  carolPrivate: AssetId;
  daveAsset: AssetId;
  beaAsset: AssetId;
  aliceAlbumLink: SharedLinkId;
  aliceAssetLink: SharedLinkId;
  revokedLink: SharedLinkId;
  bobLink: SharedLinkId;
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

  const instanceOf = (memberId: MemberId) => (memberId === w.bea ? w.b.instanceId : w.a.instanceId);
  const album = async (ownerId: MemberId) =>
    (await prisma.album.create({ data: { instanceId: instanceOf(ownerId), ownerId, name: 'album' } })).id as AlbumId;
  const asset = async (ownerId: MemberId, flags: { isArchived?: boolean; isTrashed?: boolean } = {}) =>
    (await prisma.asset.create({ data: { instanceId: instanceOf(ownerId), ownerId, ...flags } })).id as AssetId;

  w.aliceAlbum = await album(w.alice);
  w.carolAlbumForAlice = await album(w.carol);
  w.bobAlbumForAliceAsEditor = await album(w.bob);
  w.carolPrivateAlbum = await album(w.carol);
  w.beaAlbum = await album(w.bea);
  const instanceId = w.a.instanceId;
  await prisma.albumMember.createMany({
    data: [
      { instanceId, albumId: w.carolAlbumForAlice, memberId: w.alice, role: 'viewer' },
      { instanceId, albumId: w.bobAlbumForAliceAsEditor, memberId: w.alice, role: 'editor' },
    ],
  });

  w.aliceAsset = await asset(w.alice);
  w.aliceTrashed = await asset(w.alice, { isTrashed: true });
  w.bobAsset = await asset(w.bob);
  w.bobArchived = await asset(w.bob, { isArchived: true });
  w.bobTrashed = await asset(w.bob, { isTrashed: true });
  w.carolInSharedAlbum = await asset(w.carol);
  w.carolTrashedInSharedAlbum = await asset(w.carol, { isTrashed: true });
  w.carolPrivate = await asset(w.carol);
  w.daveAsset = await asset(w.dave);
  w.beaAsset = await asset(w.bea);
  await prisma.albumAsset.createMany({
    data: [
      { instanceId, albumId: w.carolAlbumForAlice, assetId: w.carolInSharedAlbum },
      { instanceId, albumId: w.carolAlbumForAlice, assetId: w.carolTrashedInSharedAlbum },
      { instanceId, albumId: w.carolPrivateAlbum, assetId: w.carolPrivate },
      { instanceId, albumId: w.aliceAlbum, assetId: w.aliceAsset },
    ],
  });
  await prisma.albumAsset.create({ data: { instanceId: w.b.instanceId, albumId: w.beaAlbum, assetId: w.beaAsset } });

  await prisma.partnerShare.createMany({
    data: [
      { instanceId, sharedById: w.bob, sharedWithId: w.alice },
      { instanceId, sharedById: w.alice, sharedWithId: w.dave },
    ],
  });

  const link = async (creatorId: MemberId, data: { albumId?: AlbumId; revokedAt?: Date } = {}) =>
    (
      await prisma.sharedLink.create({
        data: { instanceId: instanceOf(creatorId), creatorId, keyHash: randomUUID(), ...data },
      })
    ).id as SharedLinkId;
  w.aliceAlbumLink = await link(w.alice, { albumId: w.aliceAlbum });
  w.aliceAssetLink = await link(w.alice);
  w.revokedLink = await link(w.alice, { albumId: w.aliceAlbum, revokedAt: new Date() });
  w.bobLink = await link(w.bob);
  await prisma.sharedLinkAsset.createMany({
    data: [
      { instanceId, sharedLinkId: w.aliceAssetLink, assetId: w.aliceTrashed },
      { instanceId, sharedLinkId: w.aliceAssetLink, assetId: w.bobAsset },
    ],
  });

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

  test('albums: own albums, and shared ones only in the roles asked for', async () => {
    const all = [w.aliceAlbum, w.carolAlbumForAlice, w.bobAlbumForAliceAsEditor, w.carolPrivateAlbum, w.beaAlbum];
    const except = (...keep: AlbumId[]) => all.filter((id) => !keep.includes(id));
    await expectGranted((ids) => access.album.checkOwnerAccess(w.alice, ids), [w.aliceAlbum], except(w.aliceAlbum));
    await expectGranted(
      (ids) => access.album.checkSharedAlbumAccess(w.alice, ids, ['editor', 'viewer']),
      [w.carolAlbumForAlice, w.bobAlbumForAliceAsEditor],
      except(w.carolAlbumForAlice, w.bobAlbumForAliceAsEditor),
    );
    await expectGranted(
      (ids) => access.album.checkSharedAlbumAccess(w.alice, ids, ['editor']),
      [w.bobAlbumForAliceAsEditor],
      except(w.bobAlbumForAliceAsEditor),
    );
    await expectGranted((ids) => access.album.checkSharedAlbumAccess(w.alice, ids, []), [], all);
  });

  test('albums through a link: the album the link points to, and nothing once the link is revoked', async () => {
    const all = [w.aliceAlbum, w.carolAlbumForAlice, w.beaAlbum];
    await expectGranted(
      (ids) => access.album.checkSharedLinkAccess(w.aliceAlbumLink, ids),
      [w.aliceAlbum],
      all.slice(1),
    );
    await expectGranted((ids) => access.album.checkSharedLinkAccess(w.revokedLink, ids), [], all);
    await expectGranted((ids) => access.album.checkSharedLinkAccess(w.aliceAssetLink, ids), [], all);
  });

  const allAssets = () => [
    w.aliceAsset,
    w.aliceTrashed,
    w.bobAsset,
    w.bobArchived,
    w.bobTrashed,
    w.carolInSharedAlbum,
    w.carolTrashedInSharedAlbum,
    w.carolPrivate,
    w.daveAsset,
    w.beaAsset,
  ];
  const assetsExcept = (...keep: AssetId[]) => allAssets().filter((id) => !keep.includes(id));

  test('assets: the owner reaches all of their own, trashed included, and nobody else’s', async () => {
    await expectGranted(
      (ids) => access.asset.checkOwnerAccess(w.alice, ids),
      [w.aliceAsset, w.aliceTrashed],
      assetsExcept(w.aliceAsset, w.aliceTrashed),
    );
  });

  test('assets: album access covers assets in own and shared albums, except trashed ones', async () => {
    await expectGranted(
      (ids) => access.asset.checkAlbumAccess(w.alice, ids),
      [w.aliceAsset, w.carolInSharedAlbum],
      assetsExcept(w.aliceAsset, w.carolInSharedAlbum),
    );
  });

  test('assets: partner access is one-way and excludes archived and trashed assets', async () => {
    await expectGranted((ids) => access.asset.checkPartnerAccess(w.alice, ids), [w.bobAsset], assetsExcept(w.bobAsset));
    await expectGranted(
      (ids) => access.asset.checkPartnerAccess(w.dave, ids),
      [w.aliceAsset],
      assetsExcept(w.aliceAsset),
    );
  });

  test('assets through a link: those it names or its album holds, not trashed, nothing once revoked', async () => {
    await expectGranted(
      (ids) => access.asset.checkSharedLinkAccess(w.aliceAssetLink, ids),
      [w.bobAsset],
      assetsExcept(w.bobAsset),
    );
    await expectGranted(
      (ids) => access.asset.checkSharedLinkAccess(w.aliceAlbumLink, ids),
      [w.aliceAsset],
      assetsExcept(w.aliceAsset),
    );
    await expectGranted((ids) => access.asset.checkSharedLinkAccess(w.revokedLink, ids), [], allAssets());
  });

  test('links, api keys and sessions: only the actor’s own', async () => {
    await expectGranted(
      (ids) => access.sharedLink.checkOwnerAccess(w.alice, ids),
      [w.aliceAlbumLink, w.aliceAssetLink, w.revokedLink],
      [w.bobLink],
    );
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
    assert.deepEqual(await access.asset.checkOwnerAccess('nobody' as MemberId, new Set([w.aliceAsset])), new Set());
  });
});

describe('the tenant model over the repository', () => {
  const alice = (): MemberActor => ({ kind: 'member', memberId: w.alice, instanceId: w.a.instanceId, role: 'user' });

  test('a bulk request acts on the allowed subset only', async () => {
    const granted = await checkAccess(access, alice(), 'asset.read', [
      w.aliceAsset,
      w.bobAsset,
      w.carolInSharedAlbum,
      w.carolPrivate,
      w.beaAsset,
      ...(unknownIds as AssetId[]),
    ]);
    assert.deepEqual([...granted].sort(), [w.aliceAsset, w.bobAsset, w.carolInSharedAlbum].sort());
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
