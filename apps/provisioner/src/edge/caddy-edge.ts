// Routing `<subdomain>.<domain>` to an instance (and its `/photoplane` prefix to the portal) through Caddy's admin API. Every call is idempotent so that a
// retried activity converges: the route is found by its `@id`, created if missing, replaced if it differs.
import { isDeepStrictEqual } from 'node:util';
import { createCaddyAdmin, isCaddyNotFound } from './caddy-admin.ts';
import {
  assertDomain,
  buildRoute,
  FALLBACK_ROUTE_ID,
  parseRoutes,
  routeId,
  type InstanceRoute,
  type RoutedInstance,
} from './routes.ts';

export interface CaddyEdgeOptions {
  adminUrl: string;
  /** The HTTP server (its key under apps.http.servers) that holds the instance routes. */
  serverId: string;
  /** Instances answer at `<subdomain>.<domain>`. */
  domain: string;
  /**
   * `host:port` of the portal (PORTAL_UPSTREAM): every route sends `<host>/photoplane*` there. Required to write a
   * route (unrouting and listing work without it).
   */
  portalUpstream?: string | undefined;
  timeoutMs?: number;
}

export interface CaddyEdge {
  routeInstance(route: InstanceRoute): Promise<'created' | 'updated' | 'unchanged'>;
  unrouteInstance(instanceId: string): Promise<'removed' | 'absent'>;
  listRoutes(): Promise<RoutedInstance[]>;
}

export function createCaddyEdge(opts: CaddyEdgeOptions): CaddyEdge {
  const domain = opts.domain.toLowerCase();
  assertDomain(domain);
  const admin = createCaddyAdmin(opts.adminUrl, { timeoutMs: opts.timeoutMs });
  const routesPath = `/config/apps/http/servers/${encodeURIComponent(opts.serverId)}/routes`;
  const idPath = (instanceId: string) => `/id/${encodeURIComponent(routeId(instanceId))}`;

  /** The server's routes as Caddy holds them; none when the server has no `routes` key yet. */
  async function serverRoutes(): Promise<unknown[]> {
    try {
      const routes = await admin.request('GET', routesPath);
      return Array.isArray(routes) ? (routes as unknown[]) : [];
    } catch (e) {
      if (isCaddyNotFound(e)) return [];
      throw e;
    }
  }
  const idOf = (r: unknown) => (r as { '@id'?: unknown } | null)?.['@id'];

  return {
    async routeInstance(route) {
      const desired = buildRoute(route, domain, opts.portalUpstream);
      const routes = await serverRoutes();
      const mine = routes.findIndex((r) => idOf(r) === desired['@id']);
      // The edge's catch-all "unavailable" route, when the server has one: instance routes belong before it.
      const fallback = routes.findIndex((r) => idOf(r) === FALLBACK_ROUTE_ID);
      if (mine < 0) {
        // PUT at an array index inserts there; without a catch-all, `/...` appends (and also works when the server
        // has no `routes` key yet). Two concurrent creates cannot both win: Caddy rejects the second for a
        // duplicate @id, and its retry finds the route.
        if (fallback >= 0) await admin.request('PUT', `${routesPath}/${fallback}`, desired);
        else await admin.request('POST', `${routesPath}/...`, [desired]);
        return 'created';
      }
      if (fallback >= 0 && mine > fallback) {
        // Behind the catch-all it is never reached (written before the edge had one, or an insert raced a removal
        // that shifted the index): put it back in front. Removing it leaves the catch-all's index as it was.
        await admin.request('DELETE', idPath(route.instanceId));
        await admin.request('PUT', `${routesPath}/${fallback}`, desired);
        return 'updated';
      }
      if (isDeepStrictEqual(routes[mine], desired)) return 'unchanged';
      // PATCH replaces the object in place, keeping the route's position among the others.
      await admin.request('PATCH', idPath(route.instanceId), desired);
      return 'updated';
    },

    async unrouteInstance(instanceId) {
      try {
        await admin.request('DELETE', idPath(instanceId));
        return 'removed';
      } catch (e) {
        if (isCaddyNotFound(e)) return 'absent';
        throw e;
      }
    },

    async listRoutes() {
      return parseRoutes(await admin.request('GET', routesPath));
    },
  };
}
