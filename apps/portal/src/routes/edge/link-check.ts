// GET /v1/edge/link-check: the edge's forward-auth subrequest for every request to an instance that carries a share
// key or slug (issue 14). Caddy sends the visitor's Host, X-Forwarded-Uri (their path and query) and their headers;
// 204 lets the request through to the photo app, and any other answer is what the visitor gets: a link support has
// taken down is 451 Unavailable For Legal Reasons (RFC 7725) with a short page, or problem+json for the app's API.
// Reached only from Caddy: the portal's own host name does not route /v1/edge/* (infra/src/edge-config.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { LinkCheck } from '../../services/link-check.service.ts';

/** The page a visitor of a blocked link sees: no script, no style, nothing loaded from elsewhere. */
export const BLOCKED_LINK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link unavailable</title></head>
<body><main><h1>This shared link has been taken down</h1>
<p>The operator of this photo service blocked this link after a report. The photos it shared cannot be viewed
through it.</p>
<p>If the link is yours, your dashboard says why.</p></main></body></html>
`;

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const linkCheckRoutes: FastifyPluginAsyncTypebox<{ links: LinkCheck; portalUrl: string }> = async (
  app,
  { links, portalUrl },
) => {
  app.get(
    '/v1/edge/link-check',
    {
      schema: {
        tags: ['edge'],
        summary: 'May this request to an instance follow its shared link? (Caddy forward auth; reads X-Forwarded-Uri)',
        hide: true,
        // No response schema: 204 is empty, and 451 (the page, or problem+json under /api) is sent as written.
      },
      // Every link visit comes through here; its URI carries the visitor's key, so it is not logged per request.
      logLevel: 'warn',
    },
    async (request, reply) => {
      const uri = header(request, 'x-forwarded-uri') ?? '/';
      const host = header(request, 'x-forwarded-host') ?? header(request, 'host') ?? '';
      const verdict = await links.check(host, uri, header(request, 'x-immich-share-key'));
      reply.header('cache-control', 'no-store');
      if (!verdict.blocked) return reply.code(204).send();
      // RFC 7725: the blocking entity, so a visitor knows who to ask.
      reply.header('link', `<${portalUrl}>; rel="blocked-by"`);
      if (uri.startsWith('/api/')) {
        return reply
          .code(451)
          .type('application/problem+json')
          .send(
            JSON.stringify({
              type: 'about:blank',
              title: 'Unavailable For Legal Reasons',
              status: 451,
              detail: 'This shared link was taken down by the operator of this photo service.',
            }),
          );
      }
      return reply
        .code(451)
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .send(BLOCKED_LINK_PAGE);
    },
  );
};

export default linkCheckRoutes;
