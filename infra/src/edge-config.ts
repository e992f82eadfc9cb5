// The production edge: Caddy's JSON config, rendered from a few typed inputs (SPEC V6). Caddy serves the portal
// at the apex and at portal.<domain>, obtains a certificate for an instance's <sub>.<domain> during the first
// TLS handshake (on-demand TLS) only after the portal's /v1/edge/tls-ask said yes, and redirects plain HTTP to
// HTTPS. The provisioner adds one route per instance to the server named here through the admin API, so this
// file never names an instance; it does send `/photoplane*` at every instance host to the portal. Pure: no I/O, so the CLI, the tests and the stack render the same thing.

/** The HTTP server (its key under apps.http.servers) that holds the instance routes; CADDY_SERVER_ID. */
export const CADDY_SERVER_ID = 'photoplane';
/** `@id` of the portal's route; the provisioner's routes are `pp-route-<instance id>` and never collide. */
export const PORTAL_ROUTE_ID = 'pp-portal';
/**
 * `@id` of the route that sends every instance host's reserved prefix to the portal (member sign-in pages and the
 * OpenID provider, issue 10). The workers' instance routes do the same for their own host; this one comes first,
 * so the prefix is the portal's at every `<sub>.<domain>` whatever an instance route says.
 */
export const INSTANCE_PORTAL_ROUTE_ID = 'pp-instance-portal';
/** The reserved path prefix at every instance host (apps/provisioner/src/instance-url.ts). */
export const PORTAL_PATH_PREFIX = '/photoplane';
/** Where the portal answers Caddy's permission question (apps/portal/src/edge/edge.routes.ts). */
export const TLS_ASK_PATH = '/v1/edge/tls-ask';
/** Everything under it is for Caddy only (the TLS ask, the shared-link check): not routed at the portal's names. */
export const EDGE_PATH_PREFIX = '/v1/edge';

/**
 * `@id` of the last route of the server: a host no route above answered, that is an instance that is suspended, gone
 * or never was, gets a short "unavailable" page from Caddy (503, not an empty 200 or a 502), so a visitor who follows
 * a shared link to a suspended library is told so. The provisioner inserts instance routes before it
 * (apps/provisioner/src/edge/routes.ts, FALLBACK_ROUTE_ID).
 */
export const UNAVAILABLE_ROUTE_ID = 'pp-unavailable';

/** The page itself: no script, no style, nothing loaded from elsewhere. */
export const UNAVAILABLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Photo library unavailable</title></head>
<body><main><h1>This photo library is unavailable</h1>
<p>The library at this address is not available right now: it may be paused, or it may no longer exist.
If someone shared a link with you, the link will work again if the library comes back.</p></main></body></html>
`;

/** The catch-all route (no matcher, so automatic HTTPS never asks a certificate for it). */
export function unavailableRoute(): Record<string, unknown> {
  return {
    '@id': UNAVAILABLE_ROUTE_ID,
    handle: [
      {
        handler: 'static_response',
        status_code: 503,
        headers: {
          'Content-Type': ['text/html; charset=utf-8'],
          'Cache-Control': ['no-store'],
          'Retry-After': ['300'],
          'Content-Security-Policy': ["default-src 'none'; frame-ancestors 'none'"],
          'X-Content-Type-Options': ['nosniff'],
        },
        body: UNAVAILABLE_PAGE,
      },
    ],
    terminal: true,
  };
}

/**
 * `@id` of the server's first route: the per-address rate limit on the portal's unauthenticated public actions
 * (issue 13), counted once in the edge (the one process in front of every portal process) and refused there, before
 * any portal process reads the request. Not terminal: it only puts the limiter in front of whatever route answers.
 */
export const RATE_LIMIT_ROUTE_ID = 'pp-public-rate-limit';
/** The limiter's zone: every matcher of the route shares one bucket per client address. */
export const PUBLIC_RATE_LIMIT_ZONE = 'public-actions';
/** The optional cap on the total: one bucket for every client together (`key: all`). */
export const PUBLIC_TOTAL_LIMIT_ZONE = 'public-actions-total';

/**
 * The portal's unauthenticated actions at its own hosts: what `isPublicAction` in apps/portal/src/app.ts limits
 * (POST with no security and no signed-in session): sign-up, e-mail verification, sign-in, refresh, password reset
 * request and confirm, the web session's sign-in and refresh, and a member's API sign-in, refresh and invitation
 * registration at their instance. Caddy's `*` in the middle stands for one path segment.
 */
export const PORTAL_PUBLIC_ACTION_PATHS = [
  '/v1/auth/signup',
  '/v1/auth/verify-email',
  '/v1/auth/login',
  '/v1/auth/refresh',
  '/v1/auth/password-reset/request',
  '/v1/auth/password-reset/confirm',
  '/v1/web/session',
  '/v1/web/session/refresh',
  '/v1/instances/*/auth/login',
  '/v1/instances/*/auth/refresh',
  '/v1/instances/*/register',
];
/**
 * The members' sign-in pages at every instance host (apps/portal/src/instance-sign-in/*.routes.ts): the password, code and
 * new-password steps of a sign-in, invitation registration, and the password reset request and confirm. Not the
 * OpenID provider's own endpoints (an instance's photo app calls its token endpoint, and many instances share a
 * Docker host's address) nor a signed-in member's account pages.
 */
export const INSTANCE_PUBLIC_ACTION_PATHS = [
  `${PORTAL_PATH_PREFIX}/interaction/*`,
  `${PORTAL_PATH_PREFIX}/register`,
  `${PORTAL_PATH_PREFIX}/forgot`,
  `${PORTAL_PATH_PREFIX}/reset`,
];

/** Per client address, across every public action: `events` per `windowSeconds`, up to `burst` at once. */
export interface EdgeRateLimit {
  events: number;
  windowSeconds: number;
  /** Bucket size: requests an address may make at once; default `events`. */
  burst?: number;
  /** Addresses remembered at most (least recently seen dropped first); default the module's 100,000. */
  maxKeys?: number;
}

/** The edge's default: generous for people (a family behind one address), far below what a flood needs. */
export const DEFAULT_EDGE_RATE_LIMIT: EdgeRateLimit = { events: 60, windowSeconds: 60, burst: 20 };

/**
 * Parses `<events>/<window>` (`60/1m`, `10/30s`, `100/1h`), as the CLI and the stack's environment give it; `off`
 * is null (no limit at the edge).
 */
export function parseRateLimit(text: string, burst?: string): EdgeRateLimit | null {
  if (text === 'off') return null;
  const m = /^([0-9]{1,9})\/([0-9]{1,6})(s|m|h)$/.exec(text);
  if (!m)
    throw new EdgeConfigError(
      'publicRateLimit',
      `${JSON.stringify(text)} is not <events>/<window> such as 60/1m, or off`,
    );
  const windowSeconds = Number(m[2]) * { s: 1, m: 60, h: 3600 }[m[3] as 's' | 'm' | 'h'];
  const limit: EdgeRateLimit = { events: Number(m[1]), windowSeconds };
  if (burst !== undefined) {
    if (!/^[0-9]{1,9}$/.test(burst))
      throw new EdgeConfigError('publicRateLimit', `burst ${JSON.stringify(burst)} is not a whole number`);
    limit.burst = Number(burst);
  }
  validateRateLimit(limit);
  return limit;
}

function validateRateLimit(limit: EdgeRateLimit): void {
  const whole = (n: unknown, min: number) => Number.isInteger(n) && (n as number) >= min;
  if (!whole(limit.events, 1)) throw new EdgeConfigError('publicRateLimit', 'events must be a whole number from 1');
  if (!whole(limit.windowSeconds, 1))
    throw new EdgeConfigError('publicRateLimit', 'the window must be a whole number of seconds from 1');
  if (limit.burst !== undefined && !whole(limit.burst, 1))
    throw new EdgeConfigError('publicRateLimit', 'burst must be a whole number from 1');
  if (limit.maxKeys !== undefined && !whole(limit.maxKeys, 1))
    throw new EdgeConfigError('publicRateLimit', 'maxKeys must be a whole number from 1');
}

/**
 * The route that limits public actions: POSTs to the members' pages at any host, and, where the edge serves the
 * portal (`portalHosts`), POSTs to the portal's public actions at those hosts. Caddy's client address (the peer, or
 * what a proxy in the server's `trusted_proxies` says) is the key.
 */
export function publicRateLimitRoute(
  limit: EdgeRateLimit,
  portalHosts: string[] = [],
  /**
   * A cap on all addresses together (what an attacker with many addresses gets through): past it everyone is
   * refused until it refills, which keeps the portal answering everything else. None by default.
   */
  total: EdgeRateLimit | null = null,
): Record<string, unknown> {
  validateRateLimit(limit);
  if (total) validateRateLimit(total);
  return {
    '@id': RATE_LIMIT_ROUTE_ID,
    match: [
      { method: ['POST'], path: INSTANCE_PUBLIC_ACTION_PATHS },
      ...(portalHosts.length ? [{ host: portalHosts, method: ['POST'], path: PORTAL_PUBLIC_ACTION_PATHS }] : []),
    ],
    handle: [
      {
        handler: 'photoplane_rate_limit',
        zone: PUBLIC_RATE_LIMIT_ZONE,
        events: limit.events,
        window: `${limit.windowSeconds}s`,
        ...(limit.burst !== undefined ? { burst: limit.burst } : {}),
        ...(limit.maxKeys !== undefined ? { max_keys: limit.maxKeys } : {}),
      },
      // After the per-address limit, so one address past its own limit does not spend everybody's.
      ...(total
        ? [
            {
              handler: 'photoplane_rate_limit',
              zone: PUBLIC_TOTAL_LIMIT_ZONE,
              key: 'all',
              events: total.events,
              window: `${total.windowSeconds}s`,
              ...(total.burst !== undefined ? { burst: total.burst } : {}),
            },
          ]
        : []),
    ],
  };
}

export type EdgeIssuer =
  /** A public ACME CA: Let's Encrypt unless `ca` names another directory (e.g. its staging one for rehearsals). */
  | { kind: 'acme'; email: string; ca?: string }
  /** Caddy's own local CA: for local use and tests, where no public CA can reach the machine. */
  | { kind: 'internal' };

export interface EdgeConfigOptions {
  /** Instances answer at `<subdomain>.<domain>`, the portal at `<domain>` and `portal.<domain>`. */
  domain: string;
  /** `host:port` where the portal listens, as Caddy dials it. */
  portalUpstream: string;
  issuer: EdgeIssuer;
  /** Caddy's admin API; loopback only, because whoever reaches it controls the edge. Default 127.0.0.1:2019. */
  adminListen?: string;
  /** Interface the HTTP and HTTPS listeners bind to; default all of them. */
  listenHost?: string;
  /** Default 80 and 443; other values for local use and tests. */
  httpPort?: number;
  httpsPort?: number;
  /** Where certificates, keys and the local CA live; default Caddy's data folder ($XDG_DATA_HOME/caddy). */
  storageDir?: string;
  /** The edge's per-address limit on public actions; default DEFAULT_EDGE_RATE_LIMIT, null for none. */
  publicRateLimit?: EdgeRateLimit | null;
  /** A cap on public actions from all addresses together; default none. Needs publicRateLimit. */
  publicTotalLimit?: EdgeRateLimit | null;
}

export class EdgeConfigError extends Error {
  constructor(
    readonly field: keyof EdgeConfigOptions | 'issuer.email' | 'issuer.ca',
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'EdgeConfigError';
  }
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^(?:${LABEL}\\.)+${LABEL}$`);
const HOST = new RegExp(`^(?:(?:${LABEL}\\.)*${LABEL}|\\[[0-9a-f:.]+\\])$`);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isPort(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
}

function splitHostPort(value: string): { host: string; port: number } | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = value.slice(0, colon);
  const port = Number(value.slice(colon + 1));
  if (!HOST.test(host) || !/^[0-9]+$/.test(value.slice(colon + 1)) || !isPort(port)) return undefined;
  return { host, port };
}

/** Refuses what Caddy would accept but serve wrongly (or expose): a bad name fails only at the first request. */
function validate(opts: EdgeConfigOptions): void {
  if (opts.domain.length > 253 || !DOMAIN.test(opts.domain))
    throw new EdgeConfigError('domain', `${JSON.stringify(opts.domain)} is not a lowercase domain name`);
  if (!splitHostPort(opts.portalUpstream))
    throw new EdgeConfigError('portalUpstream', `${JSON.stringify(opts.portalUpstream)} is not host:port`);
  const admin = opts.adminListen ?? '127.0.0.1:2019';
  const adminAddr = splitHostPort(admin);
  if (!admin.startsWith('unix/') && !(adminAddr && LOOPBACK_HOSTS.has(adminAddr.host)))
    throw new EdgeConfigError(
      'adminListen',
      `${JSON.stringify(admin)} must be a loopback address (127.0.0.1, [::1] or localhost with a port) or unix/<path>`,
    );
  if (opts.listenHost !== undefined && !HOST.test(opts.listenHost))
    throw new EdgeConfigError('listenHost', `${JSON.stringify(opts.listenHost)} is not a host name or address`);
  for (const field of ['httpPort', 'httpsPort'] as const) {
    if (opts[field] !== undefined && !isPort(opts[field]))
      throw new EdgeConfigError(field, `${String(opts[field])} is not a TCP port`);
  }
  if ((opts.httpPort ?? 80) === (opts.httpsPort ?? 443))
    throw new EdgeConfigError('httpsPort', 'the HTTP and HTTPS ports must differ');
  if (opts.publicTotalLimit && opts.publicRateLimit === null)
    throw new EdgeConfigError('publicTotalLimit', 'a total limit needs the per-address limit (not off)');
  if (opts.issuer.kind === 'acme') {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(opts.issuer.email))
      throw new EdgeConfigError('issuer.email', `${JSON.stringify(opts.issuer.email)} is not an e-mail address`);
    if (opts.issuer.ca !== undefined && !/^https:\/\/\S+$/.test(opts.issuer.ca))
      throw new EdgeConfigError('issuer.ca', `${JSON.stringify(opts.issuer.ca)} is not an https:// ACME directory URL`);
  }
}

function issuerConfig(issuer: EdgeIssuer): Record<string, unknown> {
  switch (issuer.kind) {
    case 'acme':
      return { module: 'acme', email: issuer.email, ...(issuer.ca ? { ca: issuer.ca } : {}) };
    case 'internal':
      return { module: 'internal' };
  }
}

export function renderEdgeConfig(opts: EdgeConfigOptions): Record<string, unknown> {
  validate(opts);
  const httpPort = opts.httpPort ?? 80;
  const httpsPort = opts.httpsPort ?? 443;
  const listenHost = opts.listenHost ?? '';
  const issuers = [issuerConfig(opts.issuer)];
  const portalHosts = [opts.domain, `portal.${opts.domain}`];
  const publicRateLimit = opts.publicRateLimit === undefined ? DEFAULT_EDGE_RATE_LIMIT : opts.publicRateLimit;
  const tls: Record<string, unknown> = {
    automation: {
      // Caddy calls this before it obtains (or loads from storage) a certificate for a name it was not told
      // about: the portal says yes only for a live instance's <sub>.<domain>, so nobody can make the edge mint
      // certificates for names that serve nothing. Caddy adds ?domain=<name> and reads only the status.
      on_demand: {
        permission: { module: 'http', endpoint: `http://${opts.portalUpstream}${TLS_ASK_PATH}` },
      },
      policies: [
        // The portal's names are known now: their certificates are obtained at start, not at a handshake (the ask
        // endpoint, rightly, says no for them).
        { subjects: portalHosts, issuers },
        // Everything else, i.e. every instance, on demand; a policy without subjects is the catch-all.
        { on_demand: true, issuers },
      ],
    },
  };
  const config: Record<string, unknown> = {
    admin: { listen: opts.adminListen ?? '127.0.0.1:2019' },
    ...(opts.storageDir ? { storage: { module: 'file_system', root: opts.storageDir } } : {}),
    apps: {
      http: {
        http_port: httpPort,
        https_port: httpsPort,
        // Every admin API change reloads the config; connections the old config held are closed after this
        // instead of being waited for without end.
        grace_period: '10s',
        servers: {
          [CADDY_SERVER_ID]: {
            listen: [`${listenHost}:${httpsPort}`],
            // Caddy's automatic HTTPS adds a listener on the HTTP port (same interface) that redirects every
            // request, instance names included, to HTTPS and answers ACME HTTP challenges there.
            routes: [
              // First, and not terminal: refuses an address over its limit before the portal's routes run.
              ...(publicRateLimit
                ? [publicRateLimitRoute(publicRateLimit, portalHosts, opts.publicTotalLimit ?? null)]
                : []),
              {
                '@id': PORTAL_ROUTE_ID,
                match: [{ host: portalHosts }],
                handle: [
                  {
                    handler: 'subroute',
                    routes: [
                      {
                        // The edge's endpoints (the TLS ask, the shared-link check) are Caddy's business, asked
                        // directly at the upstream; from outside they would only let anyone enumerate live
                        // subdomains or probe links.
                        match: [{ path: [EDGE_PATH_PREFIX, `${EDGE_PATH_PREFIX}/*`] }],
                        handle: [{ handler: 'static_response', status_code: 404 }],
                      },
                      { handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: opts.portalUpstream }] }] },
                    ],
                  },
                ],
                terminal: true,
              },
              {
                '@id': INSTANCE_PORTAL_ROUTE_ID,
                match: [{ path: [PORTAL_PATH_PREFIX, `${PORTAL_PATH_PREFIX}/*`] }],
                handle: [
                  {
                    handler: 'subroute',
                    routes: [
                      {
                        // Inside a subroute on purpose: automatic HTTPS takes the host matchers of top-level routes
                        // as names to get certificates for, and would try for a wildcard one here (which an ACME
                        // HTTP challenge cannot get; seen breaking the portal's own handshake with the local CA).
                        match: [{ host: [`*.${opts.domain}`] }],
                        handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: opts.portalUpstream }] }],
                        terminal: true,
                      },
                    ],
                  },
                ],
                // Another host's /photoplane (none is served) falls through to the routes after this one.
              },
              // Instance routes are inserted here, before the catch-all.
              unavailableRoute(),
            ],
          },
        },
      },
      tls,
      // A local CA must never try to install its root into the machine's trust store: that needs root and
      // changes what every program on the machine trusts.
      ...(opts.issuer.kind === 'internal'
        ? { pki: { certificate_authorities: { local: { install_trust: false } } } }
        : {}),
    },
  };
  return config;
}
