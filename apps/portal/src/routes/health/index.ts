// Liveness and readiness. /healthz answers while the process runs; /readyz says whether the portal can serve,
// checking each dependency (PostgreSQL, Temporal) and naming the one that is down.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

const Check = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latencyMs: Type.Integer(),
  error: Type.Optional(Type.String()),
});

const ReadinessBody = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Check),
});

const health: FastifyPluginAsyncTypebox = async (app) => {
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
        summary: 'Readiness: the database and Temporal answer',
        response: { 200: ReadinessBody, 503: ReadinessBody },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const { ready, checks } = await app.services.readiness.check();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );
};

export default health;
