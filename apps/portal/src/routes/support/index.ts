// The support API (SPEC A5): what the `photoplane` CLI does (A1-A4), over HTTP, for accounts with the role support or
// superadmin, signed in with the portal's access token. Anyone else gets 403 for the whole area. Thin: each handler
// passes validated input to one support service call, which checks the role's permission, requires the reason of a
// change and writes the audit row with it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NoContent, problem } from '../../schemas/auth.schema.ts';
import { MemberView } from '../../schemas/member.schema.ts';
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
  NewUserBody,
  OperationStarted,
  ReasonBody,
  RemoveUserBody,
  ResetCredentialsBody,
  SearchQuery,
  SetPasswordBody,
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
} from '../../schemas/support.schema.ts';
import type { SupportService } from '../../services/support.service.ts';

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
  const auth = { onRequest: app.authenticate };
  const noStore = { 'cache-control': 'no-store' };

  // ----- audit ---------------------------------------------------------------------------------------------------
  app.get(
    `${base}/audit`,
    {
      schema: {
        tags: ['support'],
        summary: 'Staff actions, newest first (who, what, when, why); filter by instance, actor and time',
        security,
        querystring: AuditQuery,
        response: { 200: AuditList, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => {
      const { since, ...query } = request.query;
      return {
        events: await support.listAudit(request.user, { ...query, ...(since ? { since: new Date(since) } : {}) }),
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
        security,
        querystring: TenantListQuery,
        response: { 200: TenantList, ...common },
      },
      ...auth,
    },
    async (request) => ({ tenants: await support.listTenants(request.user, request.query) }),
  );

  app.get(
    `${base}/usage`,
    {
      schema: {
        tags,
        summary: 'Usage report: per instance, plan bytes, allocated, used and members',
        security,
        querystring: TenantListQuery,
        response: { 200: UsageReport, ...common },
      },
      ...auth,
    },
    async (request) => ({ instances: await support.usageReport(request.user, request.query) }),
  );

  app.get(
    `${base}/tenants/:subdomain`,
    {
      schema: {
        tags,
        summary: 'One instance: owner, plan, subscription and instance state, host, provisioning step, usage',
        security,
        params: TenantParams,
        response: { 200: TenantDetail, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => support.showTenant(request.user, request.params.subdomain),
  );

  for (const operation of ['suspend', 'resume', 'reprovision'] as const) {
    app.post(
      `${base}/tenants/:subdomain/${operation}`,
      {
        schema: {
          tags,
          summary: `Start the ${operation} workflow`,
          security,
          params: TenantParams,
          body: ReasonBody,
          response: { 202: OperationStarted, ...common, 404: notFound, 409: conflict },
        },
        ...auth,
      },
      async (request, reply) =>
        reply
          .code(202)
          .send(await support.operateTenant(request.user, request.params.subdomain, operation, request.body.reason)),
    );
  }

  app.delete(
    `${base}/tenants/:subdomain`,
    {
      schema: {
        tags,
        summary: 'Start the deprovision workflow: containers and volumes removed (superadmin only)',
        security,
        params: TenantParams,
        body: ReasonBody,
        response: { 202: OperationStarted, ...common, 404: notFound, 409: conflict },
      },
      ...auth,
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await support.operateTenant(request.user, request.params.subdomain, 'deprovision', request.body.reason)),
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
        security,
        params: TenantParams,
        querystring: UserSearchQuery,
        response: { 200: UserList, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => ({
      users: await support.listUsers(request.user, request.params.subdomain, request.query.search),
    }),
  );

  app.post(
    users,
    {
      schema: {
        tags: userTags,
        summary: 'Add a member by invitation or with a random password shown once',
        security,
        params: TenantParams,
        body: NewUserBody,
        response: { 201: UserWithPassword, ...common, 404: notFound, 409: conflict, 422: problem('Over the plan') },
      },
      ...auth,
    },
    async (request, reply) =>
      reply
        .code(201)
        .headers(noStore)
        .send(await support.addUser(request.user, request.params.subdomain, request.body)),
  );

  app.get(
    `${users}/:user`,
    {
      schema: {
        tags: userTags,
        summary: 'One member, by id or e-mail',
        security,
        params: UserParams,
        response: { 200: MemberView, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => support.showUser(request.user, request.params.subdomain, request.params.user),
  );

  app.patch(
    `${users}/:user`,
    {
      schema: {
        tags: userTags,
        summary: 'Change name, role, quota, storage label or no-login',
        security,
        params: UserParams,
        body: UserPatchBody,
        response: { 200: MemberView, ...common, 404: notFound, 409: conflict, 422: problem('Over the plan') },
      },
      ...auth,
    },
    async (request) => support.modUser(request.user, request.params.subdomain, request.params.user, request.body),
  );

  app.delete(
    `${users}/:user`,
    {
      schema: {
        tags: userTags,
        summary: "Delete a member after the instance's delay, or at once with `immediate` and the e-mail as `confirm`",
        security,
        params: UserParams,
        body: RemoveUserBody,
        response: { 200: MemberView, ...common, 404: notFound, 409: conflict },
      },
      ...auth,
    },
    async (request) => support.removeUser(request.user, request.params.subdomain, request.params.user, request.body),
  );

  app.post(
    `${users}/:user/password-reset`,
    {
      schema: {
        tags: userTags,
        summary: 'A new random password, shown once; the member must change it at the next sign-in',
        security,
        params: UserParams,
        body: ReasonBody,
        response: { 200: UserWithPassword, ...common, 404: notFound, 409: conflict },
      },
      ...auth,
    },
    async (request, reply) =>
      reply
        .headers(noStore)
        .send(
          await support.resetUser(request.user, request.params.subdomain, request.params.user, request.body.reason),
        ),
  );

  app.delete(
    `${users}/:user/two-factor`,
    {
      schema: {
        tags: userTags,
        summary: "Turns the member's two-factor authentication off (lost authenticator); they may enrol again",
        security,
        params: UserParams,
        body: ReasonBody,
        response: { 204: NoContent, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request, reply) => {
      await support.disableUserTwoFactor(
        request.user,
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
        security,
        params: UserParams,
        body: SetPasswordBody,
        response: { 200: MemberView, ...common, 404: notFound, 409: conflict },
      },
      ...auth,
    },
    async (request) =>
      support.setUserPassword(
        request.user,
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
        security,
        querystring: SearchQuery,
        response: { 200: LoginList, ...common },
      },
      ...auth,
    },
    async (request) => ({ logins: await support.listLogins(request.user, request.query) }),
  );

  app.delete(
    `${base}/logins`,
    {
      schema: {
        tags: authTags,
        summary: 'Clear the login history',
        security,
        body: ReasonBody,
        response: { 200: Cleared, ...common },
      },
      ...auth,
    },
    async (request) => support.clearLogins(request.user, request.body.reason),
  );

  app.get(
    `${base}/auth`,
    {
      schema: {
        tags: authTags,
        summary: 'Sessions (portal and instances) and API keys; live ones unless `all`',
        security,
        querystring: CredentialQuery,
        response: { 200: CredentialList, ...common },
      },
      ...auth,
    },
    async (request) => ({ credentials: await support.listCredentials(request.user, request.query) }),
  );

  app.post(
    `${base}/auth`,
    {
      schema: {
        tags: authTags,
        summary: "A member's API key; the secret is shown once",
        security,
        body: NewApiKeyBody,
        response: { 201: NewApiKey, ...common, 404: notFound, 409: conflict },
      },
      ...auth,
    },
    async (request, reply) =>
      reply
        .code(201)
        .headers(noStore)
        .send(await support.addApiKey(request.user, request.body)),
  );

  app.post(
    `${base}/auth/reset`,
    {
      schema: {
        tags: authTags,
        summary: 'Revoke every session and API key of one user (an account, or a member with `instance`)',
        security,
        body: ResetCredentialsBody,
        response: { 200: CredentialsReset, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => support.resetCredentials(request.user, request.body),
  );

  app.get(
    `${base}/auth/:id`,
    {
      schema: {
        tags: authTags,
        summary: 'One session or API key',
        security,
        params: CredentialParams,
        response: { 200: Credential, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => support.showCredential(request.user, request.params.id),
  );

  app.delete(
    `${base}/auth/:id`,
    {
      schema: {
        tags: authTags,
        summary: 'Revoke one session or API key',
        security,
        params: CredentialParams,
        body: ReasonBody,
        response: { 200: Credential, ...common, 404: notFound },
      },
      ...auth,
    },
    async (request) => support.revokeCredential(request.user, request.params.id, request.body.reason),
  );
};

export default supportRoutes;
