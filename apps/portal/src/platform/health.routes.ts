// Liveness and readiness. /healthz answers while the process runs; /readyz says whether the portal can serve,
// checking each dependency (PostgreSQL, Temporal) and naming the one that is down. The error text of a check (driver
// messages, addresses, host names) is shown only to a caller on the loopback interface (the operator's own probes)
// or to a signed-in staff account; everybody else sees which dependency is up or down, and nothing more.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';

const Check = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Integer(),
  error: Type.Optional(Type.String()),
});

const ReadinessBody = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Check),
});

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

const health: FastifyPluginAsyncTypebox = async (app) => {
  /** Loopback, or a valid bearer token or session of a staff account; anything else (or a failure) is a no. */
  async function mayReadDetails(request: FastifyRequest): Promise<boolean> {
    if (isLoopback(request.ip)) return true;
    const { accounts } = app.services;
    if (!accounts || !app.hasDecorator('authenticate')) return false;
    if (!request.headers.authorization && !request.headers.cookie) return false;
    try {
      await app.authenticate(request);
      return (await accounts.getAccount(request.user.accountId)).role !== 'customer';
    } catch {
      return false;
    }
  }

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database and Temporal answer (error text only from loopback or for staff)',
        response: { 200: ReadinessBody, 503: ReadinessBody },
      },
      logLevel: 'warn',
    },
    async (request, reply) => {
      const { ready, checks } = await app.services.readiness.check();
      const details = await mayReadDetails(request);
      const shown = Object.fromEntries(
        Object.entries(checks).map(([name, { status, latencyMs, error }]) => [
          name,
          details && error !== undefined ? { status, latencyMs, error } : { status, latencyMs },
        ]),
      );
      return reply
        .code(ready ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({ status: ready ? 'ready' : 'unavailable', checks: shown });
    },
  );
};

export default health;
