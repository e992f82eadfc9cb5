// `/metrics` in Prometheus's text format, and the hook that times every request by its route pattern (issue 15).
// The figures name tenants and hosts, so they are not public: a direct loopback request (a Prometheus on this
// machine; nothing the edge forwarded, which always adds X-Forwarded-For) reads them, anyone else needs the bearer
// METRICS_TOKEN. Without either the endpoint answers 404, as if it did not exist.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { PortalMetrics } from './metrics.service.ts';

export interface MetricsPluginOptions {
  metrics: PortalMetrics;
  token: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function directFromLoopback(request: FastifyRequest): boolean {
  const peer = request.raw.socket.remoteAddress ?? '';
  return LOOPBACK.has(peer) && !request.headers['x-forwarded-for'] && !request.headers.forwarded;
}

function bearerMatches(request: FastifyRequest, token: string | undefined): boolean {
  const header = request.headers.authorization ?? '';
  if (!token || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, { metrics, token }) => {
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', statusCode: reply.statusCode },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    if (!directFromLoopback(request) && !bearerMatches(request, token)) {
      return reply.code(404).type('application/problem+json').send({ title: 'Not Found', status: 404 });
    }
    return reply
      .header('content-type', metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.render());
  });
};

export default fp(metricsPlugin, { name: 'photoplane-metrics' });
