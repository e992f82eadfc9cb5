// Fleet upgrades (SPEC F3) in the support API: start one (superadmin), watch it (support too), pause, resume or
// cancel it. The rollout itself is the worker's fleetUpgradeWorkflow; these routes ask it and read its record.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problem } from '../platform/problem.schema.ts';
import {
  FleetUpgradeBody,
  FleetUpgradeList,
  FleetUpgradeListQuery,
  FleetUpgradeParams,
  FleetUpgradeView,
  ReasonBody,
} from './support.schema.ts';
import type { SupportService } from './support.service.ts';
import { createSupportGate, permissionNote, staffOf } from './gate.routes.ts';

const security = [{ bearerAuth: [] }];
const base = '/v1/support/fleet/upgrades';
const tags = ['support: fleet'];
const common = {
  400: problem('Invalid field, or a missing reason (errors[].field names it)'),
  401: problem('Not signed in'),
  403: problem('Not staff, or the role may not do this'),
};
const notFound = problem('No such fleet upgrade');
const conflict = problem('Another fleet upgrade is in flight, or this one has ended');

const fleetRoutes: FastifyPluginAsyncTypebox<{ support: SupportService }> = async (app, { support }) => {
  const gate = createSupportGate(app, support);

  app.post(
    base,
    {
      schema: {
        tags,
        summary:
          'Upgrade every active instance to an image, in waves: a canary, then growing waves, each gated on health',
        description: `${permissionNote('fleet.upgrade')} One rollout at a time. A wave whose failure rate passes maxFailureRate halts it; each failed instance is rolled back to its previous image by its own upgrade.`,
        security,
        body: FleetUpgradeBody,
        response: { 202: FleetUpgradeView, ...common, 409: conflict },
      },
      ...gate('fleet.upgrade'),
    },
    async (request, reply) => reply.code(202).send(await support.startFleetUpgrade(staffOf(request), request.body)),
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'Fleet upgrades, newest first, with where each instance stands',
        description: permissionNote('fleet.read'),
        security,
        querystring: FleetUpgradeListQuery,
        response: { 200: FleetUpgradeList, ...common },
      },
      ...gate('fleet.read'),
    },
    async (request) => ({ upgrades: await support.listFleetUpgrades(staffOf(request), request.query.limit) }),
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags,
        summary: 'One fleet upgrade: state, waves and every instance',
        description: permissionNote('fleet.read'),
        security,
        params: FleetUpgradeParams,
        response: { 200: FleetUpgradeView, ...common, 404: notFound },
      },
      ...gate('fleet.read'),
    },
    async (request) => support.showFleetUpgrade(staffOf(request), request.params.id),
  );

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post(
      `${base}/:id/${action}`,
      {
        schema: {
          tags,
          summary: {
            pause: 'Pause: the wave in flight finishes, the next waits',
            resume: 'Resume a paused rollout',
            cancel: 'Cancel: the wave in flight finishes, no other starts',
          }[action],
          description: permissionNote('fleet.upgrade'),
          security,
          params: FleetUpgradeParams,
          body: ReasonBody,
          response: { 202: FleetUpgradeView, ...common, 404: notFound, 409: conflict },
        },
        ...gate('fleet.upgrade'),
      },
      async (request, reply) =>
        reply
          .code(202)
          .send(await support.steerFleetUpgrade(staffOf(request), request.params.id, action, request.body.reason)),
    );
  }
};

export default fleetRoutes;
