// GET /v1/edge/tls-ask?domain=<host>: Caddy's on_demand_tls "ask" endpoint. Caddy reads only the status: 200
// allows a certificate, anything else refuses it.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendProblem } from '../platform/error-handler.ts';
import { problem } from '../platform/problem.schema.ts';
import type { EdgeService } from './edge.service.ts';

const edgeRoutes: FastifyPluginAsyncTypebox<{ edge: EdgeService }> = async (app, { edge }) => {
  app.get(
    '/v1/edge/tls-ask',
    {
      schema: {
        tags: ['edge'],
        summary: 'May the edge obtain a TLS certificate for this host name? (Caddy on-demand TLS)',
        querystring: Type.Object(
          { domain: Type.String({ minLength: 1, maxLength: 253 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ allowed: Type.Literal(true) }),
          404: problem('No live instance answers at this host name'),
        },
      },
      logLevel: 'warn',
    },
    async (request, reply) => {
      if (await edge.mayIssueCertificate(request.query.domain)) return { allowed: true as const };
      return sendProblem(reply, request, { status: 404, detail: 'No live instance answers at this host name.' });
    },
  );
};

export default edgeRoutes;
