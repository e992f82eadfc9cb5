// GET /v1/edge/link-check: the edge's forward-auth subrequest for every request to an instance that carries a share
// key or slug (issue 14). Caddy sends the visitor's Host, X-Forwarded-Uri (their path and query) and their headers;
// 204 lets the request through to the photo app, and any other answer is what the visitor gets: a link support has
// taken down is 451 Unavailable For Legal Reasons (RFC 7725), a link of a library whose plan leaves public links out
// is 403; each with a short page, or problem+json for the app's API.
// Reached only from Caddy: the portal's own host name does not route /v1/edge/* (infra/src/edge-config.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { LinkCheck } from './link-check.service.ts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A refused link's page: no script, no style, nothing loaded from elsewhere; `paragraphs` are plain text. */
function linkPage(heading: string, paragraphs: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link unavailable</title></head>
<body><main><h1>${escapeHtml(heading)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}</main></body></html>
`;
}

/** The page a visitor of a blocked link sees. */
export const BLOCKED_LINK_PAGE = linkPage('This shared link has been taken down', [
  'The operator of this photo service blocked this link after a report. The photos it shared cannot be viewed through it.',
  'If you shared this link, the owner of this photo library has been told why.',
]);

/** A link of a library whose plan leaves public links out (issue 14). */
export const PLAN_PAGE = linkPage('Public links are not available for this library', [
  'The plan of this photo library does not include sharing by public link, so this link cannot be opened.',
  'If the link is yours, share with people by inviting them to your library instead, or choose a plan that includes public links.',
]);

/** A link that breaks its plan's link policy (issue 14): which rule, in the words `linkPolicyRuleText` gives. */
export const policyPage = (rule: string) =>
  linkPage('This shared link cannot be opened', [
    rule,
    'This link does not meet that rule, so its photos cannot be viewed through it. If the link is yours, make a new one in your photo app that meets the rule and share that instead; the owner of this library has been told.',
  ]);

/** The visitor's `?password=` for a protected link (Immich's link page may send it to `/api/shared-links/me`). */
function passwordOf(uri: string): string | undefined {
  const mark = uri.indexOf('?');
  if (mark < 0) return undefined;
  return new URLSearchParams(uri.slice(mark + 1).split('#')[0]).get('password') || undefined;
}

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
      const verdict = await links.check(host, uri, header(request, 'x-immich-share-key'), {
        // Caddy copies the visitor's Immich link cookie into this header (and nothing else of their cookies).
        token: header(request, 'x-photoplane-link-token') || undefined,
        password: passwordOf(uri),
      });
      reply.header('cache-control', 'no-store');
      if (verdict.allowed) return reply.code(204).send();
      const [status, title, detail, page] =
        verdict.why === 'blocked'
          ? ([
              451,
              'Unavailable For Legal Reasons',
              'This shared link was taken down by the operator of this photo service.',
              BLOCKED_LINK_PAGE,
            ] as const)
          : verdict.why === 'plan'
            ? ([403, 'Forbidden', "This photo library's plan does not include public links.", PLAN_PAGE] as const)
            : ([403, 'Forbidden', verdict.text, policyPage(verdict.text)] as const);
      // RFC 7725: the blocking entity, so a visitor knows who to ask.
      if (status === 451) reply.header('link', `<${portalUrl}>; rel="blocked-by"`);
      if (uri.startsWith('/api/')) {
        return reply
          .code(status)
          .type('application/problem+json')
          .send(JSON.stringify({ type: 'about:blank', title, status, detail }));
      }
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .send(page);
    },
  );
};

export default linkCheckRoutes;
