// The support API (SPEC A5, A6): what the `photoplane` CLI does (A1-A4, staff accounts), over HTTP, for accounts with
// the role support or superadmin, signed in with the portal's access token. Each route names its permission; the gate
// (gate.ts) refuses anyone else with 403 naming it, audited. Thin: each handler passes validated input to one support
// service call, which re-checks the permission, requires the reason of a change and writes the audit row.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NoContent, problem } from '../platform/problem.schema.ts';
import { MemberView } from '../members/member.schema.ts';
import {
  AuditList,
  AuditQuery,
  Cleared,
  Credential,
  CredentialList,
  CredentialParams,
  CredentialQuery,
  CredentialsReset,
  LoginList,
  NewApiKey,
  NewApiKeyBody,
  NewStaff,
  NewStaffBody,
  NewUserBody,
  OperationStarted,
  ReasonBody,
  RemoveUserBody,
  ResetCredentialsBody,
  SearchQuery,
  SetPasswordBody,
  StaffList,
  StaffParams,
  StaffRemoved,
  StaffRoleBody,
  StaffView,
  TenantDetail,
  TenantList,
  TenantListQuery,
  TenantParams,
  UsageReport,
  UserList,
  UserParams,
  UserPatchBody,
  UserSearchQuery,
  UserWithPassword,
} from './support.schema.ts';
import type { SupportService } from './support.service.ts';
import { createSupportGate, permissionNote, staffOf } from './gate.routes.ts';

export interface SupportRoutesOptions {
  support: SupportService;
}

const security = [{ bearerAuth: [] }];
const base = '/v1/support';
const common = {
  400: problem('Invalid field, or a missing reason (errors[].field names it)'),
  401: problem('Not signed in'),
  403: problem('Not staff, or the role may not do this'),
};
const notFound = problem('No such instance, member or credential');
const conflict = problem('Not possible in the current state, or another operation is running');

const supportRoutes: FastifyPluginAsyncTypebox<SupportRoutesOptions> = async (app, { support }) => {
  const gate = createSupportGate(app, support);
  const noStore = { 'cache-control': 'no-store' };

  // ----- audit ---------------------------------------------------------------------------------------------------
  app.get(
    `${base}/audit`,
    {
      schema: {
        tags: ['support'],
        summary: 'Staff actions, newest first (who, what, when, why); filter by instance, actor and time',
        description: permissionNote('staff.audit'),
        security,
        querystring: AuditQuery,
        response: { 200: AuditList, ...common, 404: notFound },
      },
      ...gate('staff.audit'),
    },
    async (request) => {
      const { since, until, ...query } = request.query;
      return {
        events: await support.listAudit(staffOf(request), {
          ...query,
          ...(since ? { since: new Date(since) } : {}),
          ...(until ? { until: new Date(until) } : {}),
        }),
      };
    },
  );

  // ----- tenants (A4) ------------------------------------------------------------------------------------------
  const tags = ['support: tenants'];
  app.get(
    `${base}/tenants`,
    {
      schema: {
        tags,
        summary: "Instances with owner, plan and state; search by subdomain or owner's e-mail, filter by state",
        description: permissionNote('tenant.read'),
        security,
        querystring: TenantListQuery,
        response: { 200: TenantList, ...common },
      },
      ...gate('tenant.read'),
    },
    async (request) => ({ tenants: await support.listTenants(staffOf(request), request.query) }),
  );

  app.get(
    `${base}/usage`,
    {
      schema: {
        tags,
        summary: 'Usage report: per instance, plan bytes, allocated, used and members',
        description: permissionNote('tenant.read'),
        security,
        querystring: TenantListQuery,
        response: { 200: UsageReport, ...common },
      },
      ...gate('tenant.read'),
    },
    async (request) => ({ instances: await support.usageReport(staffOf(request), request.query) }),
  );

  app.get(
    `${base}/tenants/:subdomain`,
    {
      schema: {
        tags,
        summary: 'One instance: owner, plan, subscription and instance state, host, provisioning step, usage',
        description: permissionNote('tenant.read'),
        security,
        params: TenantParams,
        response: { 200: TenantDetail, ...common, 404: notFound },
      },
      ...gate('tenant.read'),
    },
    async (request) => support.showTenant(staffOf(request), request.params.subdomain),
  );

  for (const operation of ['suspend', 'resume', 'reprovision'] as const) {
    app.post(
      `${base}/tenants/:subdomain/${operation}`,
      {
        schema: {
          tags,
          summary: `Start the ${operation} workflow`,
          description: permissionNote('tenant.support'),
          security,
          params: TenantParams,
          body: ReasonBody,
          response: { 202: OperationStarted, ...common, 404: notFound, 409: conflict },
        },
        ...gate('tenant.support'),
      },
      async (request, reply) =>
        reply
          .code(202)
          .send(
            await support.operateTenant(staffOf(request), request.params.subdomain, operation, request.body.reason),
          ),
    );
  }

  app.delete(
    `${base}/tenants/:subdomain`,
    {
      schema: {
        tags,
        summary: 'Start the deprovision workflow: containers and volumes removed (superadmin only)',
        description: permissionNote('tenant.delete'),
        security,
        params: TenantParams,
        body: ReasonBody,
        response: { 202: OperationStarted, ...common, 404: notFound, 409: conflict },
      },
      ...gate('tenant.delete'),
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await support.operateTenant(staffOf(request), request.params.subdomain, 'deprovision', request.body.reason),
        ),
  );

  // ----- users = members of an instance (A1) -------------------------------------------------------------------
  const userTags = ['support: users'];
  const users = `${base}/tenants/:subdomain/users`;
  app.get(
    users,
    {
      schema: {
        tags: userTags,
        summary: "The instance's members, optionally filtered by name or e-mail",
        description: permissionNote('member.read'),
        security,
        params: TenantParams,
        querystring: UserSearchQuery,
        response: { 200: UserList, ...common, 404: notFound },
      },
      ...gate('member.read'),
    },
    async (request) => ({
      users: await support.listUsers(staffOf(request), request.params.subdomain, request.query.search),
    }),
  );

  app.post(
    users,
    {
      schema: {
        tags: userTags,
        summary: 'Add a member by invitation or with a random password shown once',
        description: permissionNote('member.create'),
        security,
        params: TenantParams,
        body: NewUserBody,
        response: { 201: UserWithPassword, ...common, 404: notFound, 409: conflict, 422: problem('Over the plan') },
      },
      ...gate('member.create'),
    },
    async (request, reply) =>
      reply
        .code(201)
        .headers(noStore)
        .send(await support.addUser(staffOf(request), request.params.subdomain, request.body)),
  );

  app.get(
    `${users}/:user`,
    {
      schema: {
        tags: userTags,
        summary: 'One member, by id or e-mail',
        description: permissionNote('member.read'),
        security,
        params: UserParams,
        response: { 200: MemberView, ...common, 404: notFound },
      },
      ...gate('member.read'),
    },
    async (request) => support.showUser(staffOf(request), request.params.subdomain, request.params.user),
  );

  app.patch(
    `${users}/:user`,
    {
      schema: {
        tags: userTags,
        summary: 'Change name, role, quota, storage label or no-login',
        description: permissionNote('member.update'),
        security,
        params: UserParams,
        body: UserPatchBody,
        response: { 200: MemberView, ...common, 404: notFound, 409: conflict, 422: problem('Over the plan') },
      },
      ...gate('member.update'),
    },
    async (request) => support.modUser(staffOf(request), request.params.subdomain, request.params.user, request.body),
  );

  app.delete(
    `${users}/:user`,
    {
      schema: {
        tags: userTags,
        summary: "Delete a member after the instance's delay, or at once with `immediate` and the e-mail as `confirm`",
        description: permissionNote('member.delete'),
        security,
        params: UserParams,
        body: RemoveUserBody,
        response: { 200: MemberView, ...common, 404: notFound, 409: conflict },
      },
      ...gate('member.delete'),
    },
    async (request) =>
      support.removeUser(staffOf(request), request.params.subdomain, request.params.user, request.body),
  );

  app.post(
    `${users}/:user/password-reset`,
    {
      schema: {
        tags: userTags,
        summary: 'A new random password, shown once; the member must change it at the next sign-in',
        description: permissionNote('member.update'),
        security,
        params: UserParams,
        body: ReasonBody,
        response: { 200: UserWithPassword, ...common, 404: notFound, 409: conflict },
      },
      ...gate('member.update'),
    },
    async (request, reply) =>
      reply
        .headers(noStore)
        .send(
          await support.resetUser(staffOf(request), request.params.subdomain, request.params.user, request.body.reason),
        ),
  );

  app.delete(
    `${users}/:user/two-factor`,
    {
      schema: {
        tags: userTags,
        summary: "Turns the member's two-factor authentication off (lost authenticator); they may enrol again",
        description: permissionNote('member.update'),
        security,
        params: UserParams,
        body: ReasonBody,
        response: { 204: NoContent, ...common, 404: notFound },
      },
      ...gate('member.update'),
    },
    async (request, reply) => {
      await support.disableUserTwoFactor(
        staffOf(request),
        request.params.subdomain,
        request.params.user,
        request.body.reason,
      );
      return reply.code(204).send(null);
    },
  );

  app.put(
    `${users}/:user/password`,
    {
      schema: {
        tags: userTags,
        summary: 'Set a password staff chose (passwd); other sign-ins end, to be changed at the next sign-in',
        description: permissionNote('member.update'),
        security,
        params: UserParams,
        body: SetPasswordBody,
        response: { 200: MemberView, ...common, 404: notFound, 409: conflict },
      },
      ...gate('member.update'),
    },
    async (request) =>
      support.setUserPassword(
        staffOf(request),
        request.params.subdomain,
        request.params.user,
        request.body.password,
        request.body.reason,
      ),
  );

  // ----- sign-ins (A2, A3) -------------------------------------------------------------------------------------
  const authTags = ['support: sign-ins'];
  app.get(
    `${base}/logins`,
    {
      schema: {
        tags: authTags,
        summary: 'Sign-in attempts by client, user and realm: status, last login, last failure',
        description: permissionNote('credential.read'),
        security,
        querystring: SearchQuery,
        response: { 200: LoginList, ...common },
      },
      ...gate('credential.read'),
    },
    async (request) => ({ logins: await support.listLogins(staffOf(request), request.query) }),
  );

  app.delete(
    `${base}/logins`,
    {
      schema: {
        tags: authTags,
        summary: 'Clear the login history',
        description: permissionNote('logins.clear'),
        security,
        body: ReasonBody,
        response: { 200: Cleared, ...common },
      },
      ...gate('logins.clear'),
    },
    async (request) => support.clearLogins(staffOf(request), request.body.reason),
  );

  app.get(
    `${base}/auth`,
    {
      schema: {
        tags: authTags,
        summary: 'Sessions (portal and instances) and API keys; live ones unless `all`',
        description: permissionNote('credential.read'),
        security,
        querystring: CredentialQuery,
        response: { 200: CredentialList, ...common },
      },
      ...gate('credential.read'),
    },
    async (request) => ({ credentials: await support.listCredentials(staffOf(request), request.query) }),
  );

  app.post(
    `${base}/auth`,
    {
      schema: {
        tags: authTags,
        summary: "A member's API key; the secret is shown once",
        description: permissionNote('member.apiKey'),
        security,
        body: NewApiKeyBody,
        response: { 201: NewApiKey, ...common, 404: notFound, 409: conflict },
      },
      ...gate('member.apiKey'),
    },
    async (request, reply) =>
      reply
        .code(201)
        .headers(noStore)
        .send(await support.addApiKey(staffOf(request), request.body)),
  );

  app.post(
    `${base}/auth/reset`,
    {
      schema: {
        tags: authTags,
        summary: 'Revoke every session and API key of one user (an account, or a member with `instance`)',
        description: permissionNote('credential.revoke'),
        security,
        body: ResetCredentialsBody,
        response: { 200: CredentialsReset, ...common, 404: notFound },
      },
      ...gate('credential.revoke'),
    },
    async (request) => support.resetCredentials(staffOf(request), request.body),
  );

  app.get(
    `${base}/auth/:id`,
    {
      schema: {
        tags: authTags,
        summary: 'One session or API key',
        description: permissionNote('credential.read'),
        security,
        params: CredentialParams,
        response: { 200: Credential, ...common, 404: notFound },
      },
      ...gate('credential.read'),
    },
    async (request) => support.showCredential(staffOf(request), request.params.id),
  );

  app.delete(
    `${base}/auth/:id`,
    {
      schema: {
        tags: authTags,
        summary: 'Revoke one session or API key',
        description: permissionNote('credential.revoke'),
        security,
        params: CredentialParams,
        body: ReasonBody,
        response: { 200: Credential, ...common, 404: notFound },
      },
      ...gate('credential.revoke'),
    },
    async (request) => support.revokeCredential(staffOf(request), request.params.id, request.body.reason),
  );

  // ----- staff accounts (A6, superadmin) -----------------------------------------------------------------------
  const staffTags = ['support: staff'];
  app.get(
    `${base}/staff`,
    {
      schema: {
        tags: staffTags,
        summary: 'Staff accounts with their role and live sign-ins',
        description: permissionNote('staff.manage'),
        security,
        response: { 200: StaffList, ...common },
      },
      ...gate('staff.manage'),
    },
    async (request) => ({ staff: await support.listStaff(staffOf(request)) }),
  );

  app.post(
    `${base}/staff`,
    {
      schema: {
        tags: staffTags,
        summary: 'Add a staff account: password and two-factor secret generated and shown once',
        description: `${permissionNote('staff.manage')} The e-mail must not belong to any account: no customer is made staff.`,
        security,
        body: NewStaffBody,
        response: { 201: NewStaff, ...common, 409: conflict },
      },
      ...gate('staff.manage'),
    },
    async (request, reply) =>
      reply
        .code(201)
        .headers(noStore)
        .send(await support.addStaff(staffOf(request), request.body)),
  );

  app.put(
    `${base}/staff/:email/role`,
    {
      schema: {
        tags: staffTags,
        summary: "Change a staff account's role (the last superadmin stays)",
        description: permissionNote('staff.manage'),
        security,
        params: StaffParams,
        body: StaffRoleBody,
        response: { 200: StaffView, ...common, 404: notFound, 409: conflict },
      },
      ...gate('staff.manage'),
    },
    async (request) =>
      support.setStaffRole(staffOf(request), request.params.email, request.body.role, request.body.reason),
  );

  app.delete(
    `${base}/staff/:email`,
    {
      schema: {
        tags: staffTags,
        summary: 'Remove a staff account and end its sign-ins (not your own, not the last superadmin)',
        description: permissionNote('staff.manage'),
        security,
        params: StaffParams,
        body: ReasonBody,
        response: { 200: StaffRemoved, ...common, 404: notFound, 409: conflict },
      },
      ...gate('staff.manage'),
    },
    async (request) => support.removeStaff(staffOf(request), request.params.email, request.body.reason),
  );
};

export default supportRoutes;
