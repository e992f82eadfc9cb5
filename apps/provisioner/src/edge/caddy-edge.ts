// Routing `<subdomain>.<domain>` to an instance (and its `/photoplane` prefix to the portal) through Caddy's admin API. Every call is idempotent so that a
// retried activity converges: the route is found by its `@id`, created if missing, replaced if it differs.
import { isDeepStrictEqual } from 'node:util';
import { createCaddyAdmin, isCaddyNotFound } from './caddy-admin.ts';
import { assertDomain, buildRoute, parseRoutes, routeId, type InstanceRoute, type RoutedInstance } from './routes.ts';

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

  async function currentRoute(instanceId: string): Promise<unknown> {
    try {
      return await admin.request('GET', idPath(instanceId));
    } catch (e) {
      if (isCaddyNotFound(e)) return undefined;
      throw e;
    }
  }

  return {
    async routeInstance(route) {
      const desired = buildRoute(route, domain, opts.portalUpstream);
      const current = await currentRoute(route.instanceId);
      if (current === undefined) {
        // `/...` appends the array's elements and also works when the server has no `routes` key yet. Two
        // concurrent creates cannot both win: Caddy rejects the second for a duplicate @id, and its retry
        // finds the route.
        await admin.request('POST', `${routesPath}/...`, [desired]);
        return 'created';
      }
      if (isDeepStrictEqual(current, desired)) return 'unchanged';
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
