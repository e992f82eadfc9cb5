// Where an instance answers (the member sign-in contract, issue 10): one template, `PHOTOPLANE_INSTANCE_URL`, with
// `{subdomain}` in its host, read by the worker and the portal alike. The OpenID issuer of an instance, the photo
// app's external domain and the links in e-mails all come from the origin it gives.

export const SUBDOMAIN_PLACEHOLDER = '{subdomain}';
/** The path prefix at every instance host that the edge sends to the portal (sign-in pages, the OpenID provider). */
export const PORTAL_PATH_PREFIX = '/photoplane';

/** Why the template is unusable, or null when it is fine. */
export function instanceUrlTemplateProblem(template: string): string | null {
  const parts = template.split(SUBDOMAIN_PLACEHOLDER);
  if (parts.length !== 2) return `must contain ${SUBDOMAIN_PLACEHOLDER} exactly once`;
  let url: URL;
  try {
    url = new URL(template.replace(SUBDOMAIN_PLACEHOLDER, 'x'));
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (!url.hostname.startsWith('x.') || !(parts[0] ?? '').endsWith('//'))
    return `must have ${SUBDOMAIN_PLACEHOLDER} as the first label of its host`;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== ''))
    return 'must be an origin only (scheme, host and port; no path, query or credentials)';
  if (template.endsWith('/')) return 'must not end with /';
  return null;
}

/** The origin of one instance, e.g. https://smith.photos.example.com (no trailing slash). */
export function instanceOrigin(template: string, subdomain: string): string {
  return template.replace(SUBDOMAIN_PLACEHOLDER, subdomain);
}

/** The OpenID issuer the instance's photo app trusts: the portal, under the reserved prefix of the instance host. */
export function instanceIssuer(template: string, subdomain: string): string {
  return `${instanceOrigin(template, subdomain)}${PORTAL_PATH_PREFIX}`;
}
