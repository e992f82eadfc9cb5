// The owner's export of their library (SPEC F1): ask for one and list them (the instance's owner, signed in), and
// the download behind the mailed link (no sign-in: the link's token is the credential). A link that has expired or
// is unknown answers a plain page that says so and what to do, not a JSON error: it is opened in a browser.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { problem } from '../platform/problem.schema.ts';
import { ExportList, ExportTokenParams, ExportView } from './export.schema.ts';
import { InstanceParams } from '../members/member.schema.ts';
import type { ExportService } from './export.service.ts';

export interface ExportRoutesOptions {
  exports: ExportService;
}

const bearer = [{ bearerAuth: [] }];
const tags = ['exports'];
const base = '/v1/instances/:subdomain/exports';
const notSignedIn = problem('Not signed in');
const noInstance = problem('No such instance (or not yours)');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function linkPage(title: string, text: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(text)}</p>
<p><a href="/dashboard">Go to your dashboard</a> to ask for a new export.</p>
</main>
</body>
</html>
`;
}

const exportRoutes: FastifyPluginAsyncTypebox<ExportRoutesOptions> = async (app, { exports }) => {
  app.get(
    base,
    {
      schema: {
        tags,
        summary: "The instance's exports, newest first (owner only)",
        security: bearer,
        params: InstanceParams,
        response: { 200: ExportList, 401: notSignedIn, 404: noInstance },
      },
      onRequest: app.authenticate,
    },
    async (request) => exports.listExports(request.user, request.params.subdomain),
  );

  app.post(
    base,
    {
      schema: {
        tags,
        summary:
          'Ask for an export of the library (originals, library folders, members as JSON and CSV); a download link is e-mailed when it is ready',
        security: bearer,
        params: InstanceParams,
        response: {
          202: ExportView,
          401: notSignedIn,
          404: noInstance,
          409: problem('An export is being made, or the instance has no library (errors[].field names why)'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await exports.requestExport({ ...request.user, clientIp: request.ip }, request.params.subdomain)),
  );

  app.get(
    '/v1/exports/:token',
    {
      schema: {
        tags,
        summary:
          'Download an export by the link e-mailed to the owner (valid for a few days; the token is the credential)',
        params: ExportTokenParams,
        response: {
          200: {
            description: 'The archive (tar), as an attachment',
            content: { 'application/x-tar': { schema: Type.String({ format: 'binary' }) } },
          },
          404: { description: 'Unknown link (a page)', content: { 'text/html': { schema: Type.String() } } },
          410: { description: 'Expired link (a page)', content: { 'text/html': { schema: Type.String() } } },
        },
      },
    },
    async (request, reply) => {
      const found = await exports.openDownload(request.params.token, request.ip);
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (found.kind === 'unknown')
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(
            linkPage(
              'This download link is not valid',
              'The link may be mistyped, or its export has been deleted after its expiry date.',
            ),
          );
      if (found.kind === 'expired')
        return reply
          .code(410)
          .type('text/html; charset=utf-8')
          .send(
            linkPage(
              'This download link has expired',
              `The export of ${found.subdomain} was kept for a few days and has been deleted.`,
            ),
          );
      return (
        reply
          .code(200)
          .type('application/x-tar')
          .header('content-length', String(found.bytes))
          .header('content-disposition', `attachment; filename="${found.fileName.replace(/[^\w.-]/g, '_')}"`)
          // The schema documents the body as binary; fastify streams a Readable as it is.
          .send(found.open() as unknown as string)
      );
    },
  );
};

export default exportRoutes;
