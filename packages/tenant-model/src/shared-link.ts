// Shared links as the edge sees them (SPEC S3, issue 14). The photo app owns links; Photoplane only recognises the
// credential a request carries, so that support can take a reported link down at the edge. Immich reaches a link
// by its key (`/share/<key>`, `?key=`, the `x-immich-share-key` header) or by its custom slug (`/s/<slug>`,
// `?slug=`); the web app's own pages below a link (`/share/<key>/photos/<id>`) carry the same key.
import { DomainError, validationError } from './errors.ts';
import { parseSubdomain, type Subdomain } from './subdomain.ts';

export type ShareCredentialKind = 'key' | 'slug';

export interface ShareCredential {
  kind: ShareCredentialKind;
  value: string;
}

/** Immich's keys are 50 random bytes in base64url (67 characters); anything longer is not a key. */
const KEY = /^[A-Za-z0-9_-]{1,128}$/;
/** A slug is one path segment the owner chose (decoded): no slash or control character, bounded. */
const SLUG = /^(?:(?![/?#])\P{Cc}){1,128}$/u;
/** Characters of a credential shown to people (the owner, support) so they can tell links apart. */
export const SHARE_HINT_LENGTH = 6;

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function credential(kind: ShareCredentialKind, raw: string | null | undefined): ShareCredential | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  return (kind === 'key' ? KEY : SLUG).test(raw) ? { kind, value: raw } : undefined;
}

/**
 * Every credential a request to an instance carries, from its path and query (`uri`, as the edge received it) and
 * the share-key header; duplicates removed. A request carrying none is not a link visit.
 */
export function shareCredentialsOf(uri: string, headerKey?: string | null): ShareCredential[] {
  // Split by hand: as a URL, `//share/<key>` would read as a host named "share".
  const mark = uri.search(/[?#]/);
  const pathname = mark < 0 ? uri : uri.slice(0, mark);
  const query = new URLSearchParams(mark >= 0 && uri[mark] === '?' ? uri.slice(mark + 1).split('#')[0] : '');
  const segments = pathname.split('/').filter(Boolean);
  const page = segments[0] === undefined ? undefined : decoded(segments[0])?.toLowerCase();
  const second = segments[1] === undefined ? undefined : decoded(segments[1]);
  const found = [
    page === 'share' ? credential('key', second) : undefined,
    page === 's' ? credential('slug', second) : undefined,
    ...query.getAll('key').map((k) => credential('key', k)),
    ...query.getAll('slug').map((s) => credential('slug', s)),
    credential('key', headerKey?.trim()),
  ].filter((c): c is ShareCredential => c !== undefined);
  const seen = new Set<string>();
  return found.filter((c) => {
    const id = `${c.kind}:${c.value}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export interface ReportedLink {
  subdomain: Subdomain;
  credential: ShareCredential;
}

/**
 * A link someone reported, as support pastes it: `https://<sub>.<domain>/share/<key>` or `/s/<slug>` (or any URL of
 * the instance with `?key=` / `?slug=`). Refused, naming the field `url`, when it is not a link of an instance of
 * this domain.
 */
export function parseReportedLink(input: unknown, domain: string): ReportedLink {
  if (typeof input !== 'string' || !input.trim()) throw validationError('url', 'Give the link as it was reported.');
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw validationError('url', 'The link must be a full URL, like https://<name>.<domain>/share/<key>.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw validationError('url', 'The link must be an http(s) URL.');
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const suffix = `.${domain.toLowerCase()}`;
  if (!host.endsWith(suffix))
    throw validationError('url', `The link is not at an instance of this service (*${suffix}).`);
  let subdomain: Subdomain;
  try {
    subdomain = parseSubdomain(host.slice(0, -suffix.length));
  } catch (e) {
    if (e instanceof DomainError) throw validationError('url', `The link's host is not an instance: ${e.message}`);
    throw e;
  }
  const found = shareCredentialsOf(`${url.pathname}${url.search}`);
  if (found.length === 0)
    throw validationError('url', 'The link carries no share key: expected /share/<key>, /s/<slug>, ?key= or ?slug=.');
  if (found.length > 1)
    throw validationError('url', 'The link carries more than one share key or slug; give one link at a time.');
  return { subdomain, credential: found[0]! };
}

/** What people are shown of a credential: its first characters, never the whole key. */
export function shareHint(c: ShareCredential): string {
  return c.value.slice(0, SHARE_HINT_LENGTH);
}

/**
 * How a link is shown to people from its kind (a `ShareCredentialKind`, as stored) and hint: `/share/abc123…` or
 * `/s/abc123…`.
 */
export function shownLink(kind: string, hint: string): string {
  return `${kind === 'slug' ? '/s/' : '/share/'}${hint}…`;
}

/**
 * A plan's rules for its libraries' public links (issue 14), beside `publicLinks` (whether there are any):
 * `maxExpiryDays`, when set, asks every link to expire at most that many days after it was made (a link without an
 * expiry breaks it); `passwordRequired` asks every link to have a password.
 */
export interface LinkPolicy {
  readonly maxExpiryDays?: number | null;
  readonly passwordRequired?: boolean;
}

/** A link as the photo app shows it to whoever holds its key (Immich's `SharedLinkResponseDto`). */
export interface SeenLink {
  readonly hasPassword: boolean;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
}

export type LinkPolicyRule = 'password' | 'expiry';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The rule of `policy` that `link` breaks, if any. `link` may be known only in part: a protected link seen without its
 * password shows only that it has one (`hasPassword: true`, no dates), and then only the password rule can be judged.
 */
export function linkPolicyBreach(
  policy: LinkPolicy,
  link: Pick<SeenLink, 'hasPassword'> & Partial<Omit<SeenLink, 'hasPassword'>>,
): LinkPolicyRule | undefined {
  if (policy.passwordRequired && !link.hasPassword) return 'password';
  const max = policy.maxExpiryDays;
  if (max !== undefined && max !== null && link.createdAt !== undefined && link.expiresAt !== undefined) {
    if (link.expiresAt === null) return 'expiry';
    if (link.expiresAt.getTime() - link.createdAt.getTime() > max * DAY_MS) return 'expiry';
  }
  return undefined;
}

/** Whether `policy` asks anything of a link, so that a link must be read before a visitor is let through. */
export function linkPolicyApplies(policy: LinkPolicy): boolean {
  return Boolean(policy.passwordRequired) || (policy.maxExpiryDays !== undefined && policy.maxExpiryDays !== null);
}

/** What a visitor and the owner are told of a rule. */
export function linkPolicyRuleText(rule: LinkPolicyRule, policy: LinkPolicy): string {
  return rule === 'password'
    ? "This photo library's plan requires every shared link to have a password."
    : `This photo library's plan requires every shared link to expire within ${policy.maxExpiryDays ?? 0} days of being created.`;
}
