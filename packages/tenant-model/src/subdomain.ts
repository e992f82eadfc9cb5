import { DomainError } from './errors.ts';

declare const subdomainBrand: unique symbol;
/** A subdomain that passed parseSubdomain: normalised, a valid DNS label, not reserved. */
export type Subdomain = string & { readonly [subdomainBrand]: true };

export const SUBDOMAIN_MIN_LENGTH = 3;
export const SUBDOMAIN_MAX_LENGTH = 63;

/**
 * Names the operator needs for itself, names that look official to a phishing victim, and names of
 * well-known mail and DNS hosts. Kept as data so the portal can show it and tests can walk it.
 */
// prettier-ignore
export const reservedSubdomains: ReadonlySet<string> = new Set([
  'www', 'api', 'admin', 'administrator', 'portal', 'mail', 'email', 'webmail', 'status', 'app', 'apps',
  'auth', 'login', 'logout', 'signin', 'signup', 'register', 'account', 'accounts', 'billing', 'pay',
  'payment', 'payments', 'checkout', 'invoice', 'invoices', 'docs', 'help', 'support', 'static', 'assets',
  'cdn', 'media', 'img', 'images', 'smtp', 'imap', 'pop', 'pop3', 'mx', 'ftp', 'sftp', 'ssh', 'ns', 'ns1',
  'ns2', 'ns3', 'ns4', 'dns', 'root', 'dashboard', 'console', 'blog', 'news', 'dev', 'staging', 'test',
  'demo', 'internal', 'intranet', 'vpn', 'proxy', 'edge', 'caddy', 'temporal', 'grafana', 'metrics',
  'monitor', 'security', 'abuse', 'postmaster', 'hostmaster', 'webmaster', 'noreply', 'no-reply',
  'photoplane', 'immich', 'system', 'localhost',
]);

/** Trim and lowercase, nothing else: the value users typed stays recognisable in error messages. */
export function normaliseSubdomain(input: string): string {
  return input.trim().toLowerCase();
}

function invalid(rule: string, message: string): DomainError {
  return new DomainError('subdomain_invalid', message, { field: 'subdomain', rule });
}

/**
 * SPEC P4. Returns the normalised label or throws with field 'subdomain' and `details.rule` naming the
 * first rule that failed. Uniqueness (subdomain_taken) needs the database and is checked by the portal.
 */
export function parseSubdomain(input: unknown): Subdomain {
  if (typeof input !== 'string') throw invalid('type', 'The subdomain must be text.');
  // Checked before lowercasing: some non-ASCII letters lowercase to ASCII (U+212A KELVIN SIGN -> 'k'),
  // which would let a look-alike claim a name that was never typed.
  if (/[^\x20-\x7e\t\r\n]/.test(input)) {
    throw invalid('charset', 'The subdomain may only contain the letters a-z, digits 0-9 and hyphens.');
  }
  const value = normaliseSubdomain(input);
  if (value.length === 0) throw invalid('required', 'The subdomain must not be empty.');
  if (value.length < SUBDOMAIN_MIN_LENGTH) {
    throw invalid('length', `The subdomain must be at least ${SUBDOMAIN_MIN_LENGTH} characters long.`);
  }
  if (value.length > SUBDOMAIN_MAX_LENGTH) {
    throw invalid('length', `The subdomain must be at most ${SUBDOMAIN_MAX_LENGTH} characters long.`);
  }
  if (!/^[a-z0-9-]+$/.test(value)) {
    throw invalid('charset', 'The subdomain may only contain the letters a-z, digits 0-9 and hyphens.');
  }
  if (value.startsWith('-') || value.endsWith('-')) {
    throw invalid('hyphen', 'The subdomain must not start or end with a hyphen.');
  }
  // '--' in positions 3-4 marks encoded labels ('xn--' punycode); accepting them would allow homographs.
  if (value.slice(2, 4) === '--') {
    throw invalid('double_hyphen', "The subdomain must not have '--' in its third and fourth characters.");
  }
  if (reservedSubdomains.has(value)) {
    throw new DomainError('subdomain_reserved', `The subdomain '${value}' is reserved.`, {
      field: 'subdomain',
      rule: 'reserved',
    });
  }
  return value as Subdomain;
}
