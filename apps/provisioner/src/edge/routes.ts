// Pure builders for the Caddy route of one instance. The route's `@id` comes from the instance id, so a retried
// step finds the route an earlier attempt made instead of adding a second one. Inside the route, the reserved
// prefix `/photoplane` (and everything under it) goes to the portal, which serves the members' sign-in pages and
// the OpenID provider at the instance's own address; a request that may follow a shared link is checked with the
// portal first (a link taken down answers 451, issue 14); everything else goes to the instance's photo app.
import { assertInstanceId } from '../docker/names.ts';
import { PORTAL_PATH_PREFIX } from '../instance-url.ts';

const ROUTE_ID_PREFIX = 'pp-route-';
/**
 * The edge's catch-all "unavailable" route (infra/src/edge-config.ts, UNAVAILABLE_ROUTE_ID), the last of the server's
 * routes: instance routes go before it, or it would answer for them. A copy of the id, since the worker does not
 * depend on the infra package at run time (a test checks the two agree).
 */
export const FALLBACK_ROUTE_ID = 'pp-unavailable';
// One DNS label, lowercase: Caddy compares hosts case-insensitively, and comparing our own stored route with
// the one we would write must not see a difference where Caddy sees none.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$|^\[[0-9a-f:.]+\]$/;

export interface InstanceRoute {
  instanceId: string;
  /** One DNS label; the instance answers at `<subdomain>.<domain>`. */
  subdomain: string;
  /** `host:port` the instance's app listens on, as Caddy can dial it. */
  upstream: string;
}

/** A route of ours as Caddy holds it; host and upstreams are absent if someone reshaped it by hand. */
export interface RoutedInstance {
  instanceId: string;
  host: string | undefined;
  /** The photo app. */
  upstream: string | undefined;
  /** Where `<host>/photoplane*` goes; undefined for a route written before the prefix existed. */
  portalUpstream: string | undefined;
}

interface ReverseProxy {
  handler: 'reverse_proxy';
  upstreams: { dial: string }[];
}

/** Caddy's forward auth, spelled out: a GET to the portal first; 2xx goes on to the next handler, else its answer. */
interface LinkCheckProxy extends ReverseProxy {
  rewrite: { method: 'GET'; uri: string };
  headers: { request: { set: Record<string, string[]>; delete: string[] } };
  handle_response: [{ match: { status_code: [2] }; routes: [{ handle: [{ handler: 'vars' }] }] }];
}

type ShareMatcher = { path: string[] } | { header: Record<string, string[]> } | { expression: string };

/** The shape we write; Caddy returns it unchanged (keys reordered) from GET. */
export interface CaddyRoute {
  '@id': string;
  match: { host: string[] }[];
  handle: [
    {
      handler: 'subroute';
      routes: [
        { match: { path: string[] }[]; handle: [ReverseProxy] },
        { match: ShareMatcher[]; handle: [LinkCheckProxy, ReverseProxy] },
        { handle: [ReverseProxy] },
      ];
    },
  ];
  terminal: true;
}

/** Where the portal answers the edge's link check (apps/portal/src/edge/link-check.routes.ts). */
export const LINK_CHECK_PATH = '/v1/edge/link-check';

/**
 * Requests that may follow a shared link (issue 14), which the portal is asked about before the photo app sees them:
 * Immich's link pages, its share-key header, and any query that may name `key` or `slug`, however escaped (the
 * portal decodes and decides; a match that carries no credential costs one quick 204).
 */
export const SHARE_MATCHERS: ShareMatcher[] = [
  { path: ['/share/*', '/s/*'] },
  { header: { 'X-Immich-Share-Key': ['*'] } },
  { expression: "{http.request.uri.query}.matches('(?i)(k|%6b)(e|%65)(y|%79)|(s|%73)(l|%6c)(u|%75)(g|%67)')" },
];

function linkCheck(portalUpstream: string): LinkCheckProxy {
  return {
    handler: 'reverse_proxy',
    upstreams: [{ dial: portalUpstream }],
    // The trailing `?` drops the visitor's query (it may hold their key): the portal reads X-Forwarded-Uri instead.
    rewrite: { method: 'GET', uri: `${LINK_CHECK_PATH}?` },
    headers: {
      request: {
        set: {
          'X-Forwarded-Method': ['{http.request.method}'],
          'X-Forwarded-Uri': ['{http.request.uri}'],
          // Immich's cookie for an unlocked protected link, which the portal needs to read the link's expiry when a
          // plan bounds it (issue 14); none of the visitor's other cookies.
          'X-Photoplane-Link-Token': ['{http.request.cookie.immich_shared_link_token}'],
        },
        // The visitor's credentials for the photo app are none of the portal's business.
        delete: ['Authorization', 'Cookie', 'X-Api-Key'],
      },
    },
    // A route with a handler that writes nothing, so a 2xx goes on to the photo app (what forward_auth does).
    handle_response: [{ match: { status_code: [2] }, routes: [{ handle: [{ handler: 'vars' }] }] }],
  };
}

/** The prefix itself and everything below it, and nothing else (`/photoplanes` is the app's). */
export const PORTAL_PATHS = [PORTAL_PATH_PREFIX, `${PORTAL_PATH_PREFIX}/*`];

export class InvalidRouteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRouteError';
  }
}

export function routeId(instanceId: string): string {
  assertInstanceId(instanceId);
  return `${ROUTE_ID_PREFIX}${instanceId}`;
}

export function assertDomain(domain: string): void {
  if (domain.length > 253 || !HOST.test(domain) || domain.startsWith('['))
    throw new InvalidRouteError(`invalid domain ${JSON.stringify(domain)}: must be a lowercase DNS name`);
}

/**
 * Caddy accepts any string as a dial address and only fails when a request comes in (a 502 for the customer),
 * so a malformed upstream is refused here, before it is written.
 */
export function assertUpstream(upstream: string): void {
  const colon = upstream.lastIndexOf(':');
  const host = upstream.slice(0, colon);
  const port = upstream.slice(colon + 1);
  if (colon <= 0 || !HOST.test(host) || !/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    throw new InvalidRouteError(`invalid upstream ${JSON.stringify(upstream)}: must be host:port`);
}

export function buildRoute(route: InstanceRoute, domain: string, portalUpstream: string | undefined): CaddyRoute {
  if (!LABEL.test(route.subdomain))
    throw new InvalidRouteError(
      `invalid subdomain ${JSON.stringify(route.subdomain)}: must be one lowercase DNS label (a-z, 0-9, '-')`,
    );
  assertUpstream(route.upstream);
  if (portalUpstream === undefined)
    throw new InvalidRouteError(
      `PORTAL_UPSTREAM is not set: an instance route sends ${PORTAL_PATH_PREFIX}* to the portal, so it must know where the portal is`,
    );
  assertUpstream(portalUpstream);
  return {
    '@id': routeId(route.instanceId),
    match: [{ host: [`${route.subdomain}.${domain}`] }],
    handle: [
      {
        handler: 'subroute',
        routes: [
          {
            match: [{ path: PORTAL_PATHS }],
            handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: portalUpstream }] }],
          },
          {
            // A link support has taken down answers 451 from the portal; any other goes on to the photo app.
            match: SHARE_MATCHERS,
            handle: [linkCheck(portalUpstream), { handler: 'reverse_proxy', upstreams: [{ dial: route.upstream }] }],
          },
          { handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: route.upstream }] }] },
        ],
      },
    ],
    terminal: true,
  };
}

type LooseHandler = { handler?: string; upstreams?: { dial?: string }[]; routes?: LooseSubroute[] };
type LooseSubroute = { match?: { path?: string[] }[]; handle?: LooseHandler[] };

/** The photo app's and the portal's dial addresses in a route of either shape (with or without the prefix). */
function upstreamsOf(handle: LooseHandler[] | undefined): { app?: string; portal?: string } {
  const first = handle?.[0];
  if (first?.handler === 'reverse_proxy') return { app: first.upstreams?.[0]?.dial };
  if (first?.handler !== 'subroute') return {};
  const dial = (r: LooseSubroute | undefined) => r?.handle?.[0]?.upstreams?.[0]?.dial;
  const portal = first.routes?.find((r) => r.match?.some((m) => m.path?.includes(PORTAL_PATH_PREFIX)));
  const app = first.routes?.find((r) => !r.match);
  return { app: dial(app), portal: dial(portal) };
}

/** Our routes among whatever the server holds (an operator may have added others); theirs are left out. */
export function parseRoutes(routes: unknown): RoutedInstance[] {
  if (!Array.isArray(routes)) return [];
  const ours: RoutedInstance[] = [];
  for (const r of routes as { '@id'?: unknown; match?: { host?: string[] }[]; handle?: LooseHandler[] }[]) {
    const id = r?.['@id'];
    if (typeof id !== 'string' || !id.startsWith(ROUTE_ID_PREFIX)) continue;
    const { app, portal } = upstreamsOf(r.handle);
    ours.push({
      instanceId: id.slice(ROUTE_ID_PREFIX.length),
      host: r.match?.[0]?.host?.[0],
      upstream: app,
      portalUpstream: portal,
    });
  }
  return ours;
}
