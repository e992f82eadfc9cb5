// Taking a reported shared link down at the edge (issue 14): support pastes the link as it was reported, with a
// reason; the block holds at the edge until lifted (apps/portal/src/edge/link-check.service.ts), whatever
// happens to Caddy's configuration, since it lives here. Both are audited in the transaction that makes them, and the
// instance's owner is told by e-mail (which link, by its first characters, and why). Only the credential's hash is
// kept: the block cannot be used to open the link.
import {
  DomainError,
  isUuid,
  parseReportedLink,
  type ShareCredentialKind,
  shareHint,
  validationError,
} from '@photoplane/tenant-model';
import type { LinkBlockRecord } from '../edge/link-block.repository.ts';
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import { credentialHash } from '../edge/link-check.service.ts';
import type { MailService } from '../platform/mail.service.ts';
import { createStaffContext, iso, limitOf, parseReason, requirePermission, type Staff } from './staff-context.ts';

export interface LinkBlockView {
  id: string;
  subdomain: string;
  /** 'key' (`/share/<key>`) or 'slug' (`/s/<slug>`). */
  kind: ShareCredentialKind;
  /** The key's or slug's first characters. */
  hint: string;
  reason: string;
  blockedBy: string | null;
  blockedAt: string;
  liftedAt: string | null;
  liftedBy: string | null;
  liftReason: string | null;
}

export function linkBlockView(b: LinkBlockRecord): LinkBlockView {
  return {
    id: b.id,
    subdomain: b.instance.subdomain,
    kind: b.kind as ShareCredentialKind, // a CHECK keeps the column to these two
    hint: b.hint,
    reason: b.reason,
    blockedBy: b.blockedByLabel,
    blockedAt: b.createdAt.toISOString(),
    liftedAt: iso(b.liftedAt),
    liftedBy: b.liftedByLabel,
    liftReason: b.liftReason,
  };
}

export function createLinkBlockSupport(deps: {
  repositories: SupportUnitOfWork;
  /** Instances answer at `<subdomain>.<domain>`. */
  domain: string;
  mail: Pick<MailService, 'sendLinkBlocked' | 'sendLinkUnblocked'>;
  now?: () => Date;
}) {
  const { repositories } = deps;
  const now = deps.now ?? (() => new Date());
  const context = createStaffContext(repositories, now);

  return {
    async block(who: Staff, input: { url: string; reason: string }): Promise<LinkBlockView> {
      requirePermission(who, 'tenant.support');
      const reason = parseReason(input.reason);
      const link = parseReportedLink(input.url, deps.domain);
      const { view, ownerEmail } = await repositories.transaction(async (repos) => {
        const tenant = await context.requireTenant(repos, link.subdomain);
        const created = await repos.linkBlocks.create({
          instanceId: tenant.instanceId,
          kind: link.credential.kind,
          credentialHash: credentialHash(link.credential),
          hint: shareHint(link.credential),
          reason,
          blockedById: who.accountId,
          blockedByLabel: who.email,
        });
        if (!created)
          throw new DomainError('conflict', 'This link is blocked already.', { field: 'url', rule: 'blocked' });
        await context.audit(repos, who, {
          action: 'link.block',
          targetType: 'shared_link_block',
          targetId: created.id,
          instanceId: tenant.instanceId,
          reason,
          details: { kind: created.kind, hint: created.hint },
        });
        return { view: linkBlockView(created), ownerEmail: tenant.owner.email };
      });
      deps.mail.sendLinkBlocked(ownerEmail, view);
      return view;
    },

    async lift(who: Staff, id: string, input: { reason: string }): Promise<LinkBlockView> {
      requirePermission(who, 'tenant.support');
      const reason = parseReason(input.reason);
      if (!isUuid(id)) throw validationError('id', 'A block id is a UUID, as `links ls` shows it.');
      const { view, ownerEmail } = await repositories.transaction(async (repos) => {
        const block = await repos.linkBlocks.find(id);
        if (!block) throw new DomainError('not_found', 'No such block', { field: 'id' });
        const tenant = await context.requireTenant(repos, block.instance.subdomain);
        const lifted = await repos.linkBlocks.lift(id, {
          liftedById: who.accountId,
          liftedByLabel: who.email,
          liftReason: reason,
          liftedAt: now(),
        });
        if (!lifted) throw new DomainError('conflict', 'This block was lifted already.', { field: 'id' });
        await context.audit(repos, who, {
          action: 'link.unblock',
          targetType: 'shared_link_block',
          targetId: id,
          instanceId: tenant.instanceId,
          reason,
          details: { kind: lifted.kind, hint: lifted.hint },
        });
        return { view: linkBlockView(lifted), ownerEmail: tenant.owner.email };
      });
      deps.mail.sendLinkUnblocked(ownerEmail, view);
      return view;
    },

    /**
     * Blocks newest first: of one instance, or of the link `url` names (the one holding, if any), or all; lifted
     * ones too unless `holdingOnly`. A read, audited like every staff read.
     */
    async list(
      who: Staff,
      query: { subdomain?: string | undefined; url?: string | undefined; holdingOnly?: boolean; limit?: number },
    ): Promise<{ blocks: LinkBlockView[] }> {
      requirePermission(who, 'tenant.read');
      const limit = limitOf(query.limit);
      return repositories.transaction(async (repos) => {
        let blocks: LinkBlockRecord[];
        let instanceId: string | null = null;
        if (query.url !== undefined) {
          const link = parseReportedLink(query.url, deps.domain);
          const tenant = await context.requireTenant(repos, link.subdomain);
          instanceId = tenant.instanceId;
          const holding = await repos.linkBlocks.findHolding(tenant.instanceId, credentialHash(link.credential));
          blocks = holding ? [holding] : [];
        } else {
          if (query.subdomain !== undefined)
            instanceId = (await context.requireTenant(repos, query.subdomain)).instanceId;
          blocks = await repos.linkBlocks.list({
            ...(instanceId ? { instanceId } : {}),
            holdingOnly: query.holdingOnly ?? false,
            limit,
          });
        }
        await context.audit(repos, who, {
          action: 'link.list',
          targetType: 'shared_link_block',
          targetId: null,
          instanceId,
          details: { count: blocks.length },
        });
        return { blocks: blocks.map(linkBlockView) };
      });
    },
  };
}

export type LinkBlockSupport = ReturnType<typeof createLinkBlockSupport>;
