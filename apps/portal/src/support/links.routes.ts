// Shared links taken down at the edge (issue 14), in the support API: block a reported link, list the blocks, lift
// one. Same gate as the other support routes; the service checks again and audits.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problem } from '../platform/problem.schema.ts';
import {
  BlockLinkBody,
  LinkBlockList,
  LinkBlockParams,
  LinkBlockQuery,
  LinkBlockView,
} from '../edge/link-block.schema.ts';
import { ReasonBody } from './support.schema.ts';
import type { LinkBlockSupport } from './link-blocks.service.ts';
import type { SupportService } from './support.service.ts';
import { createSupportGate, permissionNote, staffOf } from './gate.routes.ts';

export interface LinkBlockRoutesOptions {
  support: SupportService;
  links: LinkBlockSupport;
}

const security = [{ bearerAuth: [] }];
const base = '/v1/support/link-blocks';
const tags = ['support: links'];
const common = {
  400: problem('Invalid field, not a link of an instance here, or a missing reason (errors[].field names it)'),
  401: problem('Not signed in'),
  403: problem('Not staff, or the role may not do this'),
};

const linkBlockRoutes: FastifyPluginAsyncTypebox<LinkBlockRoutesOptions> = async (app, { support, links }) => {
  const gate = createSupportGate(app, support);

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Take a reported shared link down at the edge: its visitors get 451 until the block is lifted',
        description: `${permissionNote('tenant.support')} The instance's owner is told by e-mail. Only a hash of the link's key is kept.`,
        security,
        body: BlockLinkBody,
        response: {
          201: LinkBlockView,
          ...common,
          404: problem('No such instance'),
          409: problem('This link is blocked already'),
        },
      },
      ...gate('tenant.support'),
    },
    async (request, reply) => reply.code(201).send(await links.block(staffOf(request), request.body)),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "Blocked links, newest first: all, one instance's, or the one holding for a link",
        description: permissionNote('tenant.read'),
        security,
        querystring: LinkBlockQuery,
        response: { 200: LinkBlockList, ...common, 404: problem('No such instance') },
      },
      ...gate('tenant.read'),
    },
    async (request) => {
      const { subdomain, url, holding, limit } = request.query;
      return links.list(staffOf(request), {
        subdomain,
        url,
        holdingOnly: holding ?? false,
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );

  app.post(
    `${base}/:id/lift`,
    {
      schema: {
        tags,
        summary: 'Lift a block: the link works again as the photo app allows',
        description: `${permissionNote('tenant.support')} The instance's owner is told by e-mail.`,
        security,
        params: LinkBlockParams,
        body: ReasonBody,
        response: {
          200: LinkBlockView,
          ...common,
          404: problem('No such block'),
          409: problem('This block was lifted already'),
        },
      },
      ...gate('tenant.support'),
    },
    async (request) => links.lift(staffOf(request), request.params.id, request.body),
  );
};

export default linkBlockRoutes;
