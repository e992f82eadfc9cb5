// The edge's question on every link visit (issue 14): Caddy sends each request to an instance that carries a share
// key or slug here first (a forward-auth subrequest, apps/provisioner/src/edge/routes.ts); 2xx lets it through to
// the photo app, anything else is what the visitor gets. A link support has taken down answers 451 (RFC 7725).
import { createHash } from 'node:crypto';
import { shareCredentialsOf, type ShareCredential } from '@photoplane/tenant-model';
import type { LinkBlockRepository } from '../repositories/link-block.repository.ts';

/** SHA-256 of the credential with its kind, hex: what the block table keeps instead of the key. */
export function credentialHash(c: ShareCredential): string {
  return createHash('sha256').update(`${c.kind}:${c.value}`).digest('hex');
}

export type LinkVerdict = { blocked: false } | { blocked: true; blockId: string };

export function createLinkCheck(deps: { linkBlocks: LinkBlockRepository; domain: string }) {
  const suffix = `.${deps.domain.toLowerCase()}`;
  return {
    /**
     * `host` as the visitor asked for it (a port is ignored), `uri` the path and query they asked for, `headerKey`
     * their `x-immich-share-key`. A host that is not an instance of ours has nothing blocked.
     */
    async check(host: string, uri: string, headerKey: string | undefined): Promise<LinkVerdict> {
      const name = host
        .toLowerCase()
        .replace(/:[0-9]+$/, '')
        .replace(/\.$/, '');
      if (!name.endsWith(suffix)) return { blocked: false };
      const hashes = shareCredentialsOf(uri, headerKey).map(credentialHash);
      const block = await deps.linkBlocks.holdingAt(name.slice(0, -suffix.length), hashes);
      return block ? { blocked: true, blockId: block.id } : { blocked: false };
    },
  };
}

export type LinkCheck = ReturnType<typeof createLinkCheck>;
