import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkAccess, requireAccess, type AccessPort } from './access.ts';
import { accountActor, type Actor, type MemberActor } from './permissions.ts';
import { DomainError, memberNotFound } from './errors.ts';
import type { AccountId, AlbumId, AssetId, InstanceId, MemberId, SharedLinkId } from './ids.ts';
import type { AlbumRole } from './sharing.ts';

const A = 'inst-a' as InstanceId;
const B = 'inst-b' as InstanceId;
const mid = (s: string) => s as MemberId;
const albumId = (s: string) => s as AlbumId;
const assetId = (s: string) => s as AssetId;

/** An in-memory stand-in for the database port, holding a small world of two instances. */
interface World {
  members: { id: MemberId; instanceId: InstanceId }[];
  albums: { id: AlbumId; ownerId: MemberId; shares: { memberId: MemberId; role: AlbumRole }[] }[];
  assets: { id: AssetId; ownerId: MemberId; albumIds: AlbumId[]; archived: boolean }[];
  partners: { sharedById: MemberId; sharedWithId: MemberId }[];
  links: { id: SharedLinkId; ownerId: MemberId; albumId: AlbumId }[];
  accounts: { accountId: AccountId; instanceId: InstanceId }[];
}

function portFor(world: World): AccessPort {
  const keep = <T extends string>(ids: ReadonlySet<T>, ok: (id: T) => boolean) =>
    Promise.resolve(new Set([...ids].filter(ok)));
  const albumVisible = (memberId: MemberId, id: AlbumId) =>
    world.albums.some((a) => a.id === id && (a.ownerId === memberId || a.shares.some((s) => s.memberId === memberId)));
  return {
    member: {
      checkInstanceAccess: (instanceId, ids) =>
        keep(ids, (id) => world.members.some((x) => x.id === id && x.instanceId === instanceId)),
    },
    album: {
      checkOwnerAccess: (memberId, ids) =>
        keep(ids, (id) => world.albums.some((a) => a.id === id && a.ownerId === memberId)),
      checkSharedAlbumAccess: (memberId, ids, roles) =>
        keep(ids, (id) =>
          world.albums.some(
            (a) => a.id === id && a.shares.some((s) => s.memberId === memberId && roles.includes(s.role)),
          ),
        ),
      checkSharedLinkAccess: (linkId, ids) =>
        keep(ids, (id) => world.links.some((l) => l.id === linkId && l.albumId === id)),
    },
    asset: {
      checkOwnerAccess: (memberId, ids) =>
        keep(ids, (id) => world.assets.some((x) => x.id === id && x.ownerId === memberId)),
      checkAlbumAccess: (memberId, ids) =>
        keep(ids, (id) => world.assets.some((x) => x.id === id && x.albumIds.some((a) => albumVisible(memberId, a)))),
      checkPartnerAccess: (memberId, ids) =>
        keep(ids, (id) =>
          world.assets.some(
            (x) =>
              x.id === id &&
              !x.archived &&
              world.partners.some((p) => p.sharedById === x.ownerId && p.sharedWithId === memberId),
          ),
        ),
      checkSharedLinkAccess: (linkId, ids) =>
        keep(ids, (id) =>
          world.assets.some(
            (x) => x.id === id && world.links.some((l) => l.id === linkId && x.albumIds.includes(l.albumId)),
          ),
        ),
    },
    sharedLink: {
      checkOwnerAccess: (memberId, ids) =>
        keep(ids, (id) => world.links.some((l) => l.id === id && l.ownerId === memberId)),
    },
    apiKey: { checkOwnerAccess: () => Promise.resolve(new Set()) },
    session: { checkOwnerAccess: () => Promise.resolve(new Set()) },
    instance: {
      checkAccountAccess: (accountId, ids) =>
        keep(ids, (id) => world.accounts.some((x) => x.accountId === accountId && x.instanceId === id)),
    },
  };
}

const world: World = {
  members: [
    { id: mid('ann'), instanceId: A },
    { id: mid('bob'), instanceId: A },
    { id: mid('cy'), instanceId: A },
    { id: mid('eve'), instanceId: B },
  ],
  albums: [
    {
      id: albumId('ann-trip'),
      ownerId: mid('ann'),
      shares: [
        { memberId: mid('bob'), role: 'viewer' },
        { memberId: mid('cy'), role: 'editor' },
      ],
    },
    { id: albumId('eve-album'), ownerId: mid('eve'), shares: [] },
  ],
  assets: [
    { id: assetId('ann-1'), ownerId: mid('ann'), albumIds: [albumId('ann-trip')], archived: false },
    { id: assetId('ann-2'), ownerId: mid('ann'), albumIds: [], archived: false },
    { id: assetId('ann-archived'), ownerId: mid('ann'), albumIds: [], archived: true },
    { id: assetId('eve-1'), ownerId: mid('eve'), albumIds: [], archived: false },
  ],
  partners: [{ sharedById: mid('ann'), sharedWithId: mid('cy') }],
  links: [{ id: 'link-1' as SharedLinkId, ownerId: mid('ann'), albumId: albumId('ann-trip') }],
  accounts: [{ accountId: 'acc-ann' as AccountId, instanceId: A }],
};
const port = portFor(world);
const member = (id: string, role: MemberActor['role'] = 'user'): MemberActor => ({
  kind: 'member',
  memberId: mid(id),
  instanceId: world.members.find((x) => x.id === id)!.instanceId,
  role,
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return { code: error.code, message: error.message, details: error.details };
  }
  assert.fail('expected a refusal');
}

describe('access check', () => {
  it('requireAccess passes when every id is allowed', async () => {
    await requireAccess(port, member('ann'), 'asset.update', [assetId('ann-1'), assetId('ann-2')]);
    await requireAccess(port, member('bob'), 'album.read', [albumId('ann-trip')]);
  });

  it('a member of another instance is refused exactly like a member id that does not exist', async () => {
    const admin = member('ann', 'admin');
    const foreign = await refusal(requireAccess(port, admin, 'member.update', [mid('eve')]));
    const missing = await refusal(requireAccess(port, admin, 'member.update', [mid('nobody')]));
    const m = memberNotFound();
    assert.deepEqual(foreign, missing);
    assert.deepEqual(foreign, { code: m.code, message: m.message, details: m.details });
  });

  it("another instance's album and asset read as not found, never as forbidden", async () => {
    assert.equal(
      (await refusal(requireAccess(port, member('ann'), 'album.read', [albumId('eve-album')]))).code,
      'not_found',
    );
    assert.equal(
      (await refusal(requireAccess(port, member('ann'), 'asset.read', [assetId('eve-1')]))).code,
      'not_found',
    );
  });

  it('one disallowed id fails the whole request; checkAccess returns the allowed subset for bulk operations', async () => {
    const ids = [assetId('ann-1'), assetId('eve-1'), assetId('missing')];
    assert.equal((await refusal(requireAccess(port, member('ann'), 'asset.delete', ids))).code, 'not_found');
    assert.deepEqual(await checkAccess(port, member('ann'), 'asset.delete', ids), new Set([assetId('ann-1')]));
  });

  it('album roles: a viewer may read but not add assets, an editor may add, only the owner may share', async () => {
    assert.deepEqual(await checkAccess(port, member('bob'), 'album.addAsset', [albumId('ann-trip')]), new Set());
    assert.deepEqual(
      await checkAccess(port, member('cy'), 'album.addAsset', [albumId('ann-trip')]),
      new Set([albumId('ann-trip')]),
    );
    assert.deepEqual(await checkAccess(port, member('cy'), 'album.share', [albumId('ann-trip')]), new Set());
    assert.deepEqual(
      await checkAccess(port, member('ann'), 'album.share', [albumId('ann-trip')]),
      new Set([albumId('ann-trip')]),
    );
  });

  it("partners read the sharer's non-archived assets but cannot change them", async () => {
    const cy = member('cy');
    assert.deepEqual(
      await checkAccess(port, cy, 'asset.read', [assetId('ann-2'), assetId('ann-archived')]),
      new Set([assetId('ann-2')]),
    );
    assert.deepEqual(await checkAccess(port, cy, 'asset.update', [assetId('ann-2')]), new Set());
  });

  it('U3: personal permissions reach only the actor itself, even for an admin', async () => {
    const admin = member('ann', 'admin');
    assert.deepEqual(await checkAccess(port, admin, 'asset.upload', [mid('ann'), mid('bob')]), new Set([mid('ann')]));
    assert.deepEqual(await checkAccess(port, admin, 'profile.update', [mid('bob')]), new Set());
  });

  it('a role without the permission is forbidden outright, before any id is looked at', async () => {
    const viewer = member('bob', 'viewer');
    assert.equal((await refusal(requireAccess(port, viewer, 'asset.upload', [mid('bob')]))).code, 'forbidden');
    assert.equal((await refusal(requireAccess(port, member('bob'), 'member.delete', []))).code, 'forbidden');
    assert.deepEqual(await checkAccess(port, viewer, 'asset.upload', [mid('bob')]), new Set());
  });

  it('a shared-link visitor reaches only what the link points to, and downloads only when allowed', async () => {
    const visitor: Actor = {
      kind: 'sharedLink',
      sharedLinkId: 'link-1' as SharedLinkId,
      instanceId: A,
      ownerId: mid('ann'),
      allowUpload: false,
      allowDownload: false,
    };
    assert.deepEqual(
      await checkAccess(port, visitor, 'asset.read', [assetId('ann-1'), assetId('ann-2')]),
      new Set([assetId('ann-1')]),
    );
    assert.deepEqual(await checkAccess(port, visitor, 'asset.download', [assetId('ann-1')]), new Set());
    assert.deepEqual(
      await checkAccess(port, visitor, 'asset.update', [assetId('ann-1')]),
      new Set(),
      'deny by default',
    );
    const uploader = { ...visitor, allowUpload: true };
    assert.deepEqual(
      await checkAccess(port, uploader, 'asset.upload', [mid('ann'), mid('bob')]),
      new Set([mid('ann')]),
    );
  });

  it('customers reach only their own tenants; support reaches every tenant but no photo', async () => {
    const customer = accountActor('acc-ann' as AccountId, 'customer');
    assert.deepEqual(await checkAccess(port, customer, 'tenant.read', [A, B]), new Set([A]));
    assert.deepEqual(await checkAccess(port, customer, 'tenant.support', [A]), new Set());
    const support = accountActor('acc-sup' as AccountId, 'support');
    assert.deepEqual(await checkAccess(port, support, 'tenant.support', [A, B]), new Set([A, B]));
    assert.deepEqual(await checkAccess(port, support, 'asset.read', [assetId('ann-1')]), new Set());
  });

  it('a port that answers with ids nobody asked about does not widen access', async () => {
    const leaky: AccessPort = {
      ...port,
      asset: { ...port.asset, checkOwnerAccess: () => Promise.resolve(new Set([assetId('ann-1'), assetId('eve-1')])) },
    };
    assert.deepEqual(
      await checkAccess(leaky, member('ann'), 'asset.delete', [assetId('ann-1')]),
      new Set([assetId('ann-1')]),
    );
  });

  it('for any actor of instance A and any ids, member permissions never grant a member of instance B', async () => {
    const allIds = [...world.members.map((x) => x.id), mid('ghost')];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('ann', 'bob', 'cy'),
        fc.constantFrom('owner' as const, 'admin' as const, 'user' as const, 'viewer' as const, 'guest' as const),
        fc.constantFrom(
          'member.read' as const,
          'member.update' as const,
          'member.delete' as const,
          'partner.update' as const,
        ),
        fc.subarray(allIds),
        async (who, role, permission, ids) => {
          const granted = await checkAccess(port, member(who, role), permission, ids);
          for (const id of granted) assert.equal(world.members.find((x) => x.id === id)?.instanceId, A);
          // Completeness: where the role holds the permission, every same-instance id asked about is granted.
          const holds =
            role === 'owner' ||
            role === 'admin' ||
            ((role === 'user' || role === 'viewer') && permission === 'member.read') ||
            (role === 'user' && permission === 'partner.update');
          const expected = holds ? ids.filter((id) => world.members.find((x) => x.id === id)?.instanceId === A) : [];
          assert.deepEqual(granted, new Set(expected));
        },
      ),
    );
  });
});
