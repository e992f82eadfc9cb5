export { CaddyAdminError, isCaddyNotFound } from './caddy-admin.ts';
export { createCaddyEdge, type CaddyEdge, type CaddyEdgeOptions } from './caddy-edge.ts';
export { InvalidRouteError, routeId, type InstanceRoute, type RoutedInstance } from './routes.ts';
