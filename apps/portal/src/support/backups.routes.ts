// The support API's backup routes (SPEC F1): list, back up now, restore; list and remove inspection stacks. Same gate
// as the other support routes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problem } from '../platform/problem.schema.ts';
import {
  BackupList,
  BackupStarted,
  InspectionList,
  InspectionParams,
  InspectionRemovalStarted,
  RestoreBody,
} from './backup.schema.ts';
import { ReasonBody, TenantParams } from './support.schema.ts';
import type { BackupSupport } from './backups.service.ts';
import type { SupportService } from './support.service.ts';
import { createSupportGate, permissionNote, staffOf } from './gate.routes.ts';

export interface BackupRoutesOptions {
  support: SupportService;
  backups: BackupSupport;
}

const security = [{ bearerAuth: [] }];
const base = '/v1/support/tenants/:subdomain';
const tags = ['support: backups'];
const common = {
  400: problem('Invalid field, or a missing reason (errors[].field names it)'),
  401: problem('Not signed in'),
  403: problem('Not staff, or the role may not do this'),
  404: problem('No such instance'),
};
const conflict = problem('Not possible in the current state, or another backup, restore or operation is running');

const backupRoutes: FastifyPluginAsyncTypebox<BackupRoutesOptions> = async (app, { support, backups }) => {
  const gate = createSupportGate(app, support);

  app.get(
    `${base}/backups`,
    {
      schema: {
        tags,
        summary: "The instance's backups (newest first), restores, and its repository's last integrity check",
        description: permissionNote('tenant.read'),
        security,
        params: TenantParams,
        response: { 200: BackupList, ...common },
      },
      ...gate('tenant.read'),
    },
    async (request) => backups.listBackups(staffOf(request), request.params.subdomain),
  );

  app.post(
    `${base}/backups`,
    {
      schema: {
        tags,
        summary: 'Back the instance up now (its database dump and library volume)',
        description: permissionNote('tenant.support'),
        security,
        params: TenantParams,
        body: ReasonBody,
        response: { 202: BackupStarted, ...common, 409: conflict },
      },
      ...gate('tenant.support'),
    },
    async (request, reply) =>
      reply.code(202).send(await backups.backupTenant(staffOf(request), request.params.subdomain, request.body.reason)),
  );

  app.post(
    `${base}/restore`,
    {
      schema: {
        tags,
        summary:
          'Restore a backup: in place (stop, restore, start, health-check; superadmin) or into an inspection stack',
        description: `${permissionNote('tenant.support')} In place also needs \`tenant.delete\`.`,
        security,
        params: TenantParams,
        body: RestoreBody,
        response: { 202: BackupStarted, ...common, 409: conflict },
      },
      ...gate('tenant.support'),
    },
    async (request, reply) =>
      reply.code(202).send(await backups.restoreTenant(staffOf(request), request.params.subdomain, request.body)),
  );

  app.get(
    `${base}/inspections`,
    {
      schema: {
        tags,
        summary: "The instance's inspection stacks (newest first): state, host and address",
        description: permissionNote('tenant.read'),
        security,
        params: TenantParams,
        response: { 200: InspectionList, ...common },
      },
      ...gate('tenant.read'),
    },
    async (request) => backups.listInspections(staffOf(request), request.params.subdomain),
  );

  app.delete(
    `${base}/inspections/:id`,
    {
      schema: {
        tags,
        summary: 'Remove an inspection stack (its containers, network and volumes); the instance is not touched',
        description: permissionNote('tenant.support'),
        security,
        params: InspectionParams,
        body: ReasonBody,
        response: {
          202: InspectionRemovalStarted,
          ...common,
          404: problem('No such instance, or no such inspection of it'),
          409: problem('Already removed or being removed, its restore still runs, or another restore runs'),
        },
      },
      ...gate('tenant.support'),
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await backups.removeInspection(
            staffOf(request),
            request.params.subdomain,
            request.params.id,
            request.body.reason,
          ),
        ),
  );
};

export default backupRoutes;
