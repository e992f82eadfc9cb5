// The edge's question on every link visit (issue 14): Caddy sends each request to an instance that carries a share
// key or slug here first (a forward-auth subrequest, apps/provisioner/src/edge/routes.ts); 2xx lets it through to
// the photo app, anything else is what the visitor gets. A link support has taken down answers 451 (RFC 7725); a
// link of a library whose plan leaves public links out answers 403, and so does a link that breaks its plan's link
// policy (no password, or an expiry past the plan's maximum).
//
// The photo app owns its links, and Immich has no call that lists every user's links, so the policy is judged at the
// visit: the portal asks the photo app about the link the way the visitor's own page does (Immich's
// `GET /api/shared-links/me?key=`, with the visitor's link cookie or password when they unlocked a protected link),
// at the address the edge forwards to. A protected link seen without its password shows only that it has one, so its
// expiry is judged once the visitor has unlocked it: they see the password form, then the refusal, never a photo.
// Answers are kept for a short while per link and visitor, so a gallery's thumbnails cost one question, not one each.
import { createHash } from 'node:crypto';
import {
  linkPolicyApplies,
  linkPolicyBreach,
  linkPolicyRuleText,
  shareCredentialsOf,
  shareHint,
  type LinkPolicy,
  type LinkPolicyRule,
  type SeenLink,
  type ShareCredential,
} from '@photoplane/tenant-model';
import type { LinkAccess, LinkBlockRepository } from './link-block.repository.ts';
import type { MailService } from '../platform/mail.service.ts';

/** SHA-256 of the credential with its kind, hex: what the block table keeps instead of the key. */
export function credentialHash(c: ShareCredential): string {
  return createHash('sha256').update(`${c.kind}:${c.value}`).digest('hex');
}

export type LinkVerdict =
  | { allowed: true }
  | { allowed: false; why: 'blocked'; blockId: string }
  /** The instance's plan leaves public links out (issue 14). */
  | { allowed: false; why: 'plan' }
  /** The link breaks its plan's link policy; `text` says which rule, for the visitor. */
  | { allowed: false; why: 'policy'; rule: LinkPolicyRule; text: string };

/** What the visitor's request carries that unlocks a protected link: Immich's link cookie, or `?password=`. */
export interface LinkUnlock {
  token?: string | undefined;
  password?: string | undefined;
}

/**
 * What the photo app shows of a link to whoever holds its key (and, for a protected link, its cookie or password):
 * undefined when it does not know the link (unknown or expired key: the app answers the visitor itself) or could not
 * be asked.
 */
export type LinkProbe = (
  appHostPort: number,
  credential: ShareCredential,
  unlock: LinkUnlock,
) => Promise<(Pick<SeenLink, 'hasPassword'> & Partial<SeenLink>) | undefined>;

/** How long an answer about one link for one visitor is kept. */
const PROBE_TTL_MS = 30_000;
const PROBE_CACHE_SIZE = 10_000;

/**
 * Asks the photo app on the host the edge forwards to (the edge dials `127.0.0.1:<appHostPort>`, and the portal runs
 * beside it: docs/deployment.md): Immich's `GET /api/shared-links/me`, which answers a protected link without its
 * cookie or password with 401 "Invalid password".
 */
export function photoAppLinkProbe(options: { address?: string; timeoutMs?: number } = {}): LinkProbe {
  const address = options.address ?? '127.0.0.1';
  return async (port, credential, unlock) => {
    const query = new URLSearchParams({ [credential.kind]: credential.value });
    if (unlock.password) query.set('password', unlock.password);
    let res: Response;
    try {
      res = await fetch(`http://${address}:${port}/api/shared-links/me?${query.toString()}`, {
        headers: {
          accept: 'application/json',
          ...(unlock.token ? { cookie: `immich_shared_link_token=${encodeURIComponent(unlock.token)}` } : {}),
        },
        signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
      });
    } catch {
      return undefined;
    }
    const body = (await res.json().catch(() => undefined)) as
      { message?: unknown; password?: unknown; createdAt?: unknown; expiresAt?: unknown } | undefined;
    if (res.status === 401 && body?.message === 'Invalid password') return { hasPassword: true };
    if (res.status !== 200 || !body || typeof body.createdAt !== 'string') return undefined;
    const createdAt = new Date(body.createdAt);
    const expiresAt = typeof body.expiresAt === 'string' ? new Date(body.expiresAt) : null;
    if (Number.isNaN(createdAt.getTime()) || (expiresAt && Number.isNaN(expiresAt.getTime()))) return undefined;
    // Immich shows the link's password here (it keeps them in plain text); only whether there is one is read.
    return { hasPassword: typeof body.password === 'string' && body.password !== '', createdAt, expiresAt };
  };
}

export function createLinkCheck(deps: {
  linkBlocks: LinkBlockRepository;
  domain: string;
  probe?: LinkProbe;
  mail?: Pick<MailService, 'sendLinkRefused'>;
}) {
  const suffix = `.${deps.domain.toLowerCase()}`;
  const probe = deps.probe ?? photoAppLinkProbe();
  /** Recent answers by (instance, credential, unlock): the rule broken, or null for none. */
  const recent = new Map<string, { until: number; breach: LinkPolicyRule | null }>();

  async function breachOf(
    access: LinkAccess & { appHostPort: number },
    policy: LinkPolicy,
    credential: ShareCredential,
    unlock: LinkUnlock,
  ): Promise<LinkPolicyRule | null> {
    const id = createHash('sha256')
      .update(
        [access.instanceId, credential.kind, credential.value, unlock.token ?? '', unlock.password ?? ''].join('\0'),
      )
      .digest('hex');
    const now = Date.now();
    const known = recent.get(id);
    if (known && known.until > now) return known.breach;
    const seen = await probe(access.appHostPort, credential, unlock);
    const breach = (seen && linkPolicyBreach(policy, seen)) ?? null;
    recent.delete(id);
    if (recent.size >= PROBE_CACHE_SIZE) recent.delete(recent.keys().next().value!);
    recent.set(id, { until: now + PROBE_TTL_MS, breach });
    if (breach) {
      const noted = await deps.linkBlocks.noteRefusal({
        instanceId: access.instanceId,
        kind: credential.kind,
        credentialHash: credentialHash(credential),
        hint: shareHint(credential),
        rule: breach,
      });
      if (noted.first) {
        deps.mail?.sendLinkRefused(noted.ownerEmail, {
          subdomain: noted.subdomain,
          kind: credential.kind,
          hint: shareHint(credential),
          rule: linkPolicyRuleText(breach, policy),
        });
      }
    }
    return breach;
  }

  return {
    /**
     * `host` as the visitor asked for it (a port is ignored), `uri` the path and query they asked for, `headerKey`
     * their `x-immich-share-key`, `unlock` what unlocks a protected link in their request. A request that carries no
     * share credential is not a link visit and is allowed without a query; so is anything at a host that is no
     * instance of ours (the edge routes none there).
     */
    async check(
      host: string,
      uri: string,
      headerKey: string | undefined,
      unlock: LinkUnlock = {},
    ): Promise<LinkVerdict> {
      const name = host
        .toLowerCase()
        .replace(/:[0-9]+$/, '')
        .replace(/\.$/, '');
      const credentials = shareCredentialsOf(uri, headerKey);
      if (!name.endsWith(suffix) || credentials.length === 0) return { allowed: true };
      const access = await deps.linkBlocks.accessAt(name.slice(0, -suffix.length), credentials.map(credentialHash));
      if (!access) return { allowed: true };
      if (access.blockId) return { allowed: false, why: 'blocked', blockId: access.blockId };
      if (!access.publicLinks) return { allowed: false, why: 'plan' };
      const policy: LinkPolicy = {
        maxExpiryDays: access.linkMaxExpiryDays,
        passwordRequired: access.linkPasswordRequired,
      };
      const { appHostPort } = access;
      if (!linkPolicyApplies(policy) || appHostPort === null) return { allowed: true };
      // Every credential the request names (normally one), since the app may follow any of them.
      for (const credential of credentials) {
        const rule = await breachOf({ ...access, appHostPort }, policy, credential, unlock);
        if (rule) return { allowed: false, why: 'policy', rule, text: linkPolicyRuleText(rule, policy) };
      }
      return { allowed: true };
    },
  };
}

export type LinkCheck = ReturnType<typeof createLinkCheck>;
