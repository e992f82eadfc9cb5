import {
  allowed,
  DomainError,
  memberNotFound,
  refused,
  resourceNotFound,
  validationError,
  type Check,
} from './errors.ts';
import type { AlbumId, AssetId, InstanceId, MemberId, SharedLinkId } from './ids.ts';
import type { Member } from './member.ts';

/**
 * Sharing policy (SPEC S1-S4, seed 001). Every grant joins two members of one instance. A target that is
 * missing, of another instance, or on its way out is refused with memberNotFound(), one identical error, so
 * that sharing can never be used to probe whether an id exists in another tenant.
 */
export type ShareParty = Pick<Member, 'id' | 'instanceId' | 'status'>;

function shareTarget(instanceId: InstanceId, target: ShareParty | undefined): ShareParty {
  if (target === undefined || target.instanceId !== instanceId) throw memberNotFound();
  if (target.status === 'deleted' || target.status === 'pending_deletion') throw memberNotFound();
  return target;
}

// ---- Albums (S1) ----

export const albumRoles = ['editor', 'viewer'] as const;
export type AlbumRole = (typeof albumRoles)[number];
export type AlbumCapability = 'view' | 'download' | 'add_own_assets' | 'manage';

export const albumRoleCapabilities: Readonly<Record<AlbumRole, readonly AlbumCapability[]>> = {
  editor: ['view', 'download', 'add_own_assets'],
  viewer: ['view', 'download'],
};

export interface Album {
  readonly id: AlbumId;
  readonly instanceId: InstanceId;
  readonly ownerId: MemberId;
}

export interface AlbumShare {
  readonly albumId: AlbumId;
  readonly instanceId: InstanceId;
  readonly memberId: MemberId;
  readonly role: AlbumRole;
}

function requireAlbumOwner(actor: ShareParty, album: Album): void {
  if (actor.instanceId !== album.instanceId) throw resourceNotFound('album');
  if (actor.id !== album.ownerId) {
    throw new DomainError('forbidden', "Only the album's owner manages who it is shared with.", { field: 'albumId' });
  }
}

function parseAlbumRole(role: unknown): AlbumRole {
  if (role === 'editor' || role === 'viewer') return role;
  throw validationError('role', 'The album role must be editor or viewer.');
}

export function shareAlbum(
  actor: ShareParty,
  album: Album,
  target: ShareParty | undefined,
  role: unknown,
  existing: readonly AlbumShare[],
): AlbumShare {
  requireAlbumOwner(actor, album);
  const member = shareTarget(album.instanceId, target);
  const albumRole = parseAlbumRole(role);
  if (member.id === album.ownerId) throw validationError('memberId', 'The owner already has the album.', 'self');
  if (existing.some((share) => share.albumId === album.id && share.memberId === member.id)) {
    throw new DomainError('conflict', 'The album is already shared with this member.', { field: 'memberId' });
  }
  return { albumId: album.id, instanceId: album.instanceId, memberId: member.id, role: albumRole };
}

export function changeAlbumShareRole(actor: ShareParty, album: Album, share: AlbumShare, role: unknown): AlbumShare {
  requireAlbumOwner(actor, album);
  if (share.albumId !== album.id) throw memberNotFound();
  return { ...share, role: parseAlbumRole(role) };
}

/** The owner removes anyone; a member may also leave an album shared with them. */
export function checkRemoveAlbumShare(actor: ShareParty, album: Album, share: AlbumShare): Check {
  if (actor.instanceId !== album.instanceId || share.albumId !== album.id) return refused(resourceNotFound('album'));
  if (actor.id === album.ownerId || actor.id === share.memberId) return allowed;
  return refused(
    new DomainError('forbidden', "Only the album's owner manages who it is shared with.", { field: 'albumId' }),
  );
}

export function albumCapabilitiesOf(
  member: ShareParty,
  album: Album,
  shares: readonly AlbumShare[],
): ReadonlySet<AlbumCapability> {
  if (member.instanceId !== album.instanceId || member.status !== 'active') return new Set();
  if (member.id === album.ownerId) return new Set<AlbumCapability>(['view', 'download', 'add_own_assets', 'manage']);
  const share = shares.find((candidate) => candidate.albumId === album.id && candidate.memberId === member.id);
  return new Set(share === undefined ? [] : albumRoleCapabilities[share.role]);
}

// ---- Partner sharing (S2) ----

export interface PartnerShare {
  readonly instanceId: InstanceId;
  readonly sharedById: MemberId;
  readonly sharedWithId: MemberId;
  /** Owned by the receiver: it is their timeline. */
  readonly inTimeline: boolean;
}

/** One-way: sharing with B does not let A see B's library. */
export function createPartnerShare(
  sharer: ShareParty,
  receiver: ShareParty | undefined,
  existing: readonly PartnerShare[],
): PartnerShare {
  const partner = shareTarget(sharer.instanceId, receiver);
  if (partner.id === sharer.id) throw validationError('memberId', 'You cannot be your own partner.', 'self');
  if (existing.some((share) => share.sharedById === sharer.id && share.sharedWithId === partner.id)) {
    throw new DomainError('conflict', 'You already share your library with this member.', { field: 'memberId' });
  }
  return { instanceId: sharer.instanceId, sharedById: sharer.id, sharedWithId: partner.id, inTimeline: false };
}

export function setPartnerInTimeline(actor: ShareParty, share: PartnerShare, inTimeline: boolean): PartnerShare {
  if (actor.instanceId !== share.instanceId) throw resourceNotFound('partner');
  if (actor.id !== share.sharedWithId) {
    throw new DomainError('forbidden', 'Only the receiving partner chooses whether it shows in their timeline.', {
      field: 'inTimeline',
    });
  }
  return { ...share, inTimeline };
}

/** Removal is the sharer's decision and takes effect immediately (nothing is cached in the share). */
export function checkRemovePartnerShare(actor: ShareParty, share: PartnerShare): Check {
  if (actor.instanceId !== share.instanceId) return refused(resourceNotFound('partner'));
  if (actor.id === share.sharedById) return allowed;
  return refused(
    new DomainError('forbidden', 'Only the member who shares their library can stop sharing it.', { field: 'partner' }),
  );
}

export interface PartnerAssetFacts {
  readonly ownerId: MemberId;
  readonly isArchived: boolean;
  readonly isTrashed: boolean;
}

export function partnerMaySeeAsset(share: PartnerShare, asset: PartnerAssetFacts): boolean {
  return asset.ownerId === share.sharedById && !asset.isArchived && !asset.isTrashed;
}

/** Metadata (GPS included) is shared; favourites, recognised faces and album membership are not. */
export const partnerHiddenAssetFields = ['isFavorite', 'faces', 'people', 'albumIds'] as const;
export type PartnerHiddenAssetField = (typeof partnerHiddenAssetFields)[number];

export function redactAssetForPartner<T extends object>(asset: T): Omit<T, PartnerHiddenAssetField> {
  const copy = { ...asset } as Record<string, unknown>;
  for (const field of partnerHiddenAssetFields) delete copy[field];
  return copy as Omit<T, PartnerHiddenAssetField>;
}

// ---- Shared links (S3) ----

export type SharedLinkTarget =
  | { readonly type: 'album'; readonly albumId: AlbumId }
  | { readonly type: 'assets'; readonly assetIds: readonly AssetId[] };

export interface SharedLink {
  readonly id: SharedLinkId;
  readonly instanceId: InstanceId;
  readonly ownerId: MemberId;
  readonly target: SharedLinkTarget;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  /** The hash lives in the database; the model only needs to know a password is required. */
  readonly hasPassword: boolean;
  readonly allowUpload: boolean;
  readonly allowDownload: boolean;
  readonly showMetadata: boolean;
  readonly revokedAt: Date | null;
}

export const MAX_SHARED_LINK_ASSETS = 1000;

export interface NewSharedLinkInput {
  readonly id: SharedLinkId;
  readonly owner: ShareParty;
  readonly target: SharedLinkTarget;
  /** Required for album links: the album the link points to. */
  readonly album?: Album;
  readonly now: Date | number;
  readonly expiresAt?: Date | null;
  readonly hasPassword?: boolean;
  readonly allowUpload?: boolean;
  readonly allowDownload?: boolean;
  readonly showMetadata?: boolean;
}

export function createSharedLink(input: NewSharedLinkInput): SharedLink {
  const { owner, target } = input;
  const now = new Date(input.now);
  if (target.type === 'album') {
    const album = input.album;
    if (album === undefined || album.id !== target.albumId || album.instanceId !== owner.instanceId) {
      throw resourceNotFound('album');
    }
    requireAlbumOwner(owner, album);
  } else {
    if (target.assetIds.length === 0) throw validationError('assetIds', 'A shared link needs at least one asset.');
    if (target.assetIds.length > MAX_SHARED_LINK_ASSETS) {
      throw validationError('assetIds', `A shared link holds at most ${MAX_SHARED_LINK_ASSETS} assets.`);
    }
    // Visitor uploads land in the link's album; a list of assets has nowhere to put them.
    if (input.allowUpload === true) throw validationError('allowUpload', 'Only album links can accept uploads.');
  }
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    throw validationError('expiresAt', 'The expiry must be in the future.');
  }
  const showMetadata = input.showMetadata ?? true;
  return {
    id: input.id,
    instanceId: owner.instanceId,
    ownerId: owner.id,
    target: target.type === 'assets' ? { type: 'assets', assetIds: [...new Set(target.assetIds)] } : target,
    createdAt: now,
    expiresAt,
    hasPassword: input.hasPassword ?? false,
    allowUpload: input.allowUpload ?? false,
    // As in Immich: a downloaded original carries its EXIF, so hiding metadata also forbids downloads.
    allowDownload: showMetadata && (input.allowDownload ?? true),
    showMetadata,
    revokedAt: null,
  };
}

/** Idempotent: revoking twice keeps the first revocation time. */
export function revokeSharedLink(link: SharedLink, now: Date | number): SharedLink {
  return link.revokedAt === null ? { ...link, revokedAt: new Date(now) } : link;
}

export type SharedLinkAction = 'view' | 'download' | 'upload' | 'view_metadata';

export function sharedLinkActions(link: SharedLink): ReadonlySet<SharedLinkAction> {
  const actions = new Set<SharedLinkAction>(['view']);
  if (link.allowDownload) actions.add('download');
  if (link.allowUpload) actions.add('upload');
  if (link.showMetadata) actions.add('view_metadata');
  return actions;
}

/**
 * A visitor's request through a link, at the instance whose subdomain it arrived on. `passwordMatches` is
 * the caller's verdict on the password the visitor sent (undefined when none was sent): hashing stays out
 * of the model. A revoked link, and a link of another instance, look exactly like an unknown link.
 */
export function checkSharedLinkAccess(
  link: SharedLink,
  now: Date | number,
  request: { readonly instanceId: InstanceId; readonly action?: SharedLinkAction; readonly passwordMatches?: boolean },
): Check {
  if (link.instanceId !== request.instanceId || link.revokedAt !== null) return refused(resourceNotFound('sharedLink'));
  if (link.expiresAt !== null && new Date(now).getTime() >= link.expiresAt.getTime()) {
    return refused(new DomainError('expired', 'This shared link has expired.', { field: 'sharedLink' }));
  }
  if (link.hasPassword && request.passwordMatches === undefined) {
    return refused(new DomainError('password_required', 'This shared link needs a password.', { field: 'password' }));
  }
  if (link.hasPassword && !request.passwordMatches) {
    return refused(new DomainError('password_invalid', 'The password is not right.', { field: 'password' }));
  }
  const action = request.action ?? 'view';
  if (!sharedLinkActions(link).has(action)) {
    return refused(
      new DomainError('forbidden', `This shared link does not allow '${action}'.`, { field: 'action', action }),
    );
  }
  return allowed;
}
