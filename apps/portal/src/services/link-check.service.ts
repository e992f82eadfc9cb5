// The edge's question on every link visit (issue 14): Caddy sends each request to an instance that carries a share
// key or slug here first (a forward-auth subrequest, apps/provisioner/src/edge/routes.ts); 2xx lets it through to
// the photo app, anything else is what the visitor gets. A link support has taken down answers 451 (RFC 7725); a
// link of a library whose plan leaves public links out answers 403.
import { createHash } from 'node:crypto';
import { shareCredentialsOf, type ShareCredential } from '@photoplane/tenant-model';
import type { LinkBlockRepository } from '../repositories/link-block.repository.ts';

/** SHA-256 of the credential with its kind, hex: what the block table keeps instead of the key. */
export function credentialHash(c: ShareCredential): string {
  return createHash('sha256').update(`${c.kind}:${c.value}`).digest('hex');
}

export type LinkVerdict =
  | { allowed: true }
  | { allowed: false; why: 'blocked'; blockId: string }
  /** The instance's plan leaves public links out (issue 14). */
  | { allowed: false; why: 'plan' };

export function createLinkCheck(deps: { linkBlocks: LinkBlockRepository; domain: string }) {
  const suffix = `.${deps.domain.toLowerCase()}`;
  return {
    /**
     * `host` as the visitor asked for it (a port is ignored), `uri` the path and query they asked for, `headerKey`
     * their `x-immich-share-key`. A request that carries no share credential is not a link visit and is allowed
     * without a query; so is anything at a host that is no instance of ours (the edge routes none there).
     */
    async check(host: string, uri: string, headerKey: string | undefined): Promise<LinkVerdict> {
      const name = host
        .toLowerCase()
        .replace(/:[0-9]+$/, '')
        .replace(/\.$/, '');
      const hashes = shareCredentialsOf(uri, headerKey).map(credentialHash);
      if (!name.endsWith(suffix) || hashes.length === 0) return { allowed: true };
      const access = await deps.linkBlocks.accessAt(name.slice(0, -suffix.length), hashes);
      if (!access) return { allowed: true };
      if (access.blockId) return { allowed: false, why: 'blocked', blockId: access.blockId };
      if (!access.publicLinks) return { allowed: false, why: 'plan' };
      return { allowed: true };
    },
  };
}

export type LinkCheck = ReturnType<typeof createLinkCheck>;
