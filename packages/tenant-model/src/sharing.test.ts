import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  albumCapabilitiesOf,
  changeAlbumShareRole,
  checkRemoveAlbumShare,
  checkRemovePartnerShare,
  checkSharedLinkAccess,
  createPartnerShare,
  createSharedLink,
  partnerMaySeeAsset,
  redactAssetForPartner,
  revokeSharedLink,
  setPartnerInTimeline,
  shareAlbum,
  type Album,
  type AlbumShare,
  type PartnerShare,
  type ShareParty,
  type SharedLink,
} from './sharing.ts';
import { DomainError, memberNotFound } from './errors.ts';
import type { AlbumId, AssetId, InstanceId, MemberId, SharedLinkId } from './ids.ts';
import type { MemberStatus } from './member.ts';

const A = 'inst-a' as InstanceId;
const B = 'inst-b' as InstanceId;
const party = (id: string, instanceId: InstanceId = A, status: MemberStatus = 'active'): ShareParty => ({
  id: id as MemberId,
  instanceId,
  status,
});
const ann = party('ann');
const bob = party('bob');
const eve = party('eve', B);
const album: Album = { id: 'alb' as AlbumId, instanceId: A, ownerId: ann.id };
const t0 = Date.UTC(2025, 0, 1);

function errorOf(fn: () => unknown): { code: string; message: string; details: unknown } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return { code: error.code, message: error.message, details: error.details };
  }
  assert.fail('expected a refusal');
}

const NOT_FOUND = { code: memberNotFound().code, message: memberNotFound().message, details: memberNotFound().details };

describe('album sharing (S1)', () => {
  it('editor may view, download and add own assets; viewer may view and download; the owner also manages', () => {
    const shares = [shareAlbum(ann, album, bob, 'editor', []), shareAlbum(ann, album, party('cy'), 'viewer', [])];
    assert.deepEqual([...albumCapabilitiesOf(bob, album, shares)].sort(), ['add_own_assets', 'download', 'view']);
    assert.deepEqual([...albumCapabilitiesOf(party('cy'), album, shares)].sort(), ['download', 'view']);
    assert.ok(albumCapabilitiesOf(ann, album, shares).has('manage'));
    assert.equal(albumCapabilitiesOf(party('dan'), album, shares).size, 0);
  });

  it("only the album's owner shares it or changes roles; a member may leave on their own", () => {
    const share = shareAlbum(ann, album, bob, 'viewer', []);
    assert.equal(errorOf(() => shareAlbum(bob, album, party('cy'), 'viewer', [share])).code, 'forbidden');
    assert.equal(errorOf(() => changeAlbumShareRole(bob, album, share, 'editor')).code, 'forbidden');
    assert.equal(changeAlbumShareRole(ann, album, share, 'editor').role, 'editor');
    assert.equal(checkRemoveAlbumShare(bob, album, share).ok, true);
    assert.equal(checkRemoveAlbumShare(party('cy'), album, share).ok, false);
  });

  it('sharing with a member of another instance reads exactly like sharing with nobody', () => {
    assert.deepEqual(
      errorOf(() => shareAlbum(ann, album, eve, 'viewer', [])),
      NOT_FOUND,
    );
    assert.deepEqual(
      errorOf(() => shareAlbum(ann, album, undefined, 'viewer', [])),
      NOT_FOUND,
    );
    assert.deepEqual(
      errorOf(() => shareAlbum(ann, album, party('gone', A, 'deleted'), 'viewer', [])),
      NOT_FOUND,
    );
  });

  it('refuses sharing with the owner, twice with the same member, or with an unknown role', () => {
    assert.equal(errorOf(() => shareAlbum(ann, album, ann, 'viewer', [])).code, 'validation');
    const share = shareAlbum(ann, album, bob, 'viewer', []);
    assert.equal(errorOf(() => shareAlbum(ann, album, bob, 'editor', [share])).code, 'conflict');
    assert.equal(errorOf(() => shareAlbum(ann, album, party('cy'), 'admin', [])).code, 'validation');
  });

  it('a member of another instance has no capability on the album, even with a forged share', () => {
    const forged: AlbumShare = { albumId: album.id, instanceId: A, memberId: eve.id, role: 'editor' };
    assert.equal(albumCapabilitiesOf(eve, album, [forged]).size, 0);
  });
});

describe('partner sharing (S2)', () => {
  it('is one-way, not to oneself, not twice, and starts hidden from the timeline', () => {
    const share = createPartnerShare(ann, bob, []);
    assert.deepEqual(share, { instanceId: A, sharedById: ann.id, sharedWithId: bob.id, inTimeline: false });
    assert.equal(errorOf(() => createPartnerShare(ann, ann, [])).code, 'validation');
    assert.equal(errorOf(() => createPartnerShare(ann, bob, [share])).code, 'conflict');
    assert.equal(createPartnerShare(bob, ann, [share]).sharedById, bob.id);
  });

  it('a partner in another instance reads exactly like no such member', () => {
    assert.deepEqual(
      errorOf(() => createPartnerShare(ann, eve, [])),
      NOT_FOUND,
    );
    assert.deepEqual(
      errorOf(() => createPartnerShare(ann, undefined, [])),
      NOT_FOUND,
    );
  });

  it('only the receiver toggles show-in-timeline; only the sharer removes the share', () => {
    const share = createPartnerShare(ann, bob, []);
    assert.equal(setPartnerInTimeline(bob, share, true).inTimeline, true);
    assert.equal(errorOf(() => setPartnerInTimeline(ann, share, true)).code, 'forbidden');
    assert.equal(checkRemovePartnerShare(ann, share).ok, true);
    assert.equal(checkRemovePartnerShare(bob, share).ok, false);
  });

  it("the partner sees the sharer's non-archived, non-trashed assets, without favourites, faces or albums", () => {
    const share = createPartnerShare(ann, bob, []);
    const asset = { ownerId: ann.id, isArchived: false, isTrashed: false };
    assert.equal(partnerMaySeeAsset(share, asset), true);
    assert.equal(partnerMaySeeAsset(share, { ...asset, isArchived: true }), false);
    assert.equal(partnerMaySeeAsset(share, { ...asset, isTrashed: true }), false);
    assert.equal(partnerMaySeeAsset(share, { ...asset, ownerId: party('cy').id }), false);
    const redacted = redactAssetForPartner({ id: 'x', gps: [1, 2], isFavorite: true, faces: ['f'], albumIds: ['a'] });
    assert.deepEqual(redacted, { id: 'x', gps: [1, 2] });
  });
});

describe('shared links (S3)', () => {
  const base = { id: 'lnk' as SharedLinkId, owner: ann, now: t0 };
  const albumLink = (extra: Partial<Parameters<typeof createSharedLink>[0]> = {}): SharedLink =>
    createSharedLink({ ...base, target: { type: 'album', albumId: album.id }, album, ...extra });

  it('defaults: view and download with metadata, no upload, no expiry, no password', () => {
    const link = albumLink();
    assert.deepEqual(
      [link.allowDownload, link.showMetadata, link.allowUpload, link.expiresAt, link.hasPassword],
      [true, true, false, null, false],
    );
    assert.equal(checkSharedLinkAccess(link, t0, { instanceId: A }).ok, true);
    assert.equal(checkSharedLinkAccess(link, t0, { instanceId: A, action: 'upload' }).ok, false);
  });

  it('hiding metadata also forbids download, since an original carries its EXIF', () => {
    assert.equal(albumLink({ showMetadata: false, allowDownload: true }).allowDownload, false);
  });

  it('only the album owner links an album; only album links accept uploads; expiry must be in the future', () => {
    assert.equal(
      errorOf(() => createSharedLink({ ...base, owner: bob, target: { type: 'album', albumId: album.id }, album }))
        .code,
      'forbidden',
    );
    assert.equal(
      errorOf(() => createSharedLink({ ...base, owner: eve, target: { type: 'album', albumId: album.id }, album }))
        .code,
      'not_found',
    );
    const assets = { type: 'assets' as const, assetIds: ['x' as AssetId, 'x' as AssetId] };
    assert.deepEqual(createSharedLink({ ...base, target: assets }).target, { type: 'assets', assetIds: ['x'] });
    assert.equal(errorOf(() => createSharedLink({ ...base, target: assets, allowUpload: true })).code, 'validation');
    assert.equal(
      errorOf(() => createSharedLink({ ...base, target: { type: 'assets', assetIds: [] } })).code,
      'validation',
    );
    assert.equal(errorOf(() => albumLink({ expiresAt: new Date(t0) })).code, 'validation');
  });

  it('expired links are refused as expired from the expiry instant on', () => {
    const link = albumLink({ expiresAt: new Date(t0 + 1000) });
    assert.equal(checkSharedLinkAccess(link, t0 + 999, { instanceId: A }).ok, true);
    const check = checkSharedLinkAccess(link, t0 + 1000, { instanceId: A });
    assert.equal(check.ok ? 'ok' : check.error.code, 'expired');
  });

  it('a password link needs the caller to vouch for the password: missing and wrong are told apart', () => {
    const link = albumLink({ hasPassword: true });
    const code = (passwordMatches?: boolean) => {
      const check = checkSharedLinkAccess(
        link,
        t0,
        passwordMatches === undefined ? { instanceId: A } : { instanceId: A, passwordMatches },
      );
      return check.ok ? 'ok' : check.error.code;
    };
    assert.deepEqual([code(), code(false), code(true)], ['password_required', 'password_invalid', 'ok']);
  });

  it('a revoked link and a link presented at another instance both read as an unknown link', () => {
    const link = albumLink();
    const revoked = revokeSharedLink(link, t0 + 5);
    assert.equal(revokeSharedLink(revoked, t0 + 10).revokedAt?.getTime(), t0 + 5);
    const a = checkSharedLinkAccess(revoked, t0 + 6, { instanceId: A });
    const b = checkSharedLinkAccess(link, t0, { instanceId: B });
    assert.ok(!a.ok && !b.ok);
    assert.deepEqual([a.error.code, a.error.message], [b.error.code, b.error.message]);
    assert.equal(a.error.code, 'not_found');
  });

  it('upload and download follow the link flags', () => {
    const link = albumLink({ allowUpload: true, allowDownload: false });
    assert.equal(checkSharedLinkAccess(link, t0, { instanceId: A, action: 'upload' }).ok, true);
    assert.equal(checkSharedLinkAccess(link, t0, { instanceId: A, action: 'download' }).ok, false);
  });
});

describe('sharing across instances (S4): property', () => {
  type Op =
    | { kind: 'album'; actor: number; album: number; target: number; role: 'editor' | 'viewer' }
    | { kind: 'partner'; actor: number; target: number };
  // Six members in two instances, plus two ids that exist nowhere; some members are on their way out.
  const members: ShareParty[] = [
    party('a0'),
    party('a1'),
    party('a2', A, 'pending_deletion'),
    party('b0', B),
    party('b1', B),
    party('b2', B, 'deleted'),
  ];
  const ids = [...members.map((x) => x.id), 'ghost1' as MemberId, 'ghost2' as MemberId];
  const albums: Album[] = members.map((x, i) => ({
    id: `alb${i}` as AlbumId,
    instanceId: x.instanceId,
    ownerId: x.id,
  }));
  const find = (id: MemberId) => members.find((x) => x.id === id);
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('album' as const),
      actor: fc.nat(members.length - 1),
      album: fc.nat(albums.length - 1),
      target: fc.nat(ids.length - 1),
      role: fc.constantFrom('editor' as const, 'viewer' as const),
    }),
    fc.record({
      kind: fc.constant('partner' as const),
      actor: fc.nat(members.length - 1),
      target: fc.nat(ids.length - 1),
    }),
  );

  it('no sequence of share operations produces a grant across instances, and every foreign or missing target gets the same not-found', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const albumShares: AlbumShare[] = [];
        const partnerShares: PartnerShare[] = [];
        for (const op of ops) {
          const actor = members[op.actor]!;
          const target = find(ids[op.target]!);
          const instanceId = op.kind === 'album' ? albums[op.album]!.instanceId : actor.instanceId;
          const targetGone =
            target === undefined ||
            target.instanceId !== instanceId ||
            target.status === 'deleted' ||
            target.status === 'pending_deletion';
          try {
            if (op.kind === 'album')
              albumShares.push(shareAlbum(actor, albums[op.album]!, target, op.role, albumShares));
            else partnerShares.push(createPartnerShare(actor, target, partnerShares));
            assert.equal(targetGone, false, 'a share to a foreign, missing or leaving member was accepted');
          } catch (error) {
            assert.ok(error instanceof DomainError);
            const ownerProblem = op.kind === 'album' && albums[op.album]!.ownerId !== actor.id;
            if (targetGone && !ownerProblem) {
              assert.deepEqual({ code: error.code, message: error.message, details: error.details }, NOT_FOUND);
            }
            if (error.code === 'not_found' && error.details.field === 'memberId') assert.ok(targetGone);
            // Refusals of a well-formed request are explained by self-sharing or a duplicate, nothing else.
            if (!targetGone && !ownerProblem) assert.ok(['validation', 'conflict'].includes(error.code), error.message);
          }
        }
        for (const share of albumShares) {
          const owner = find(albums.find((x) => x.id === share.albumId)!.ownerId)!;
          assert.equal(find(share.memberId)?.instanceId, owner.instanceId);
          assert.equal(share.instanceId, owner.instanceId);
        }
        for (const share of partnerShares) {
          assert.equal(find(share.sharedById)?.instanceId, find(share.sharedWithId)?.instanceId);
          assert.equal(share.instanceId, find(share.sharedById)?.instanceId);
        }
      }),
    );
  });
});
