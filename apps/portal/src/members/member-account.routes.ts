// A member's own account at their instance (SPEC U1-U6): `/v1/instances/{sub}/me/...`. Thin: each handler
// authenticates the member (bearer token or x-api-key) and passes validated input to one service call. Nothing
// here takes a member id: every route acts on the caller's own member, so no credential reaches anyone else's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NoContent, problem } from '../platform/problem.schema.ts';
import {
  AccountPatchBody,
  ApiKeyBody,
  ApiKeyList,
  ApiKeyView,
  CreatedApiKey,
  DeviceList,
  MemberAccount,
  OwnItemParams,
  OwnPasswordBody,
  Preferences,
  PreferencesPatch,
  TwoFactorCodeBody,
  TwoFactorEnrolment,
  TwoFactorStatus,
} from './member-account.schema.ts';
import { InstanceParams } from './member.schema.ts';
import type { MemberAccountService } from './member-account.service.ts';
import type { MemberAuthService } from './member-auth.service.ts';

export interface MemberAccountRoutesOptions {
  memberAuth: MemberAuthService;
  memberAccount: MemberAccountService;
}

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKey: [] }];
const base = '/v1/instances/:subdomain/me';
const notSignedIn = problem('Not signed in (no valid bearer token or API key for this instance)');
const mustChange = problem('The password must be changed first');
const sessionOnly = problem('Credentials can only be changed from a signed-in session, not with an API key');

const memberAccountRoutes: FastifyPluginAsyncTypebox<MemberAccountRoutesOptions> = async (
  app,
  { memberAuth, memberAccount },
) => {
  app.get(
    base,
    {
      schema: {
        tags: ['account'],
        summary: 'The signed-in member: id, e-mail, name, role, quota and usage (U1)',
        security,
        params: InstanceParams,
        response: { 200: MemberAccount, 401: notSignedIn, 403: mustChange },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return memberAccount.getAccount(principal, request.params.subdomain);
    },
  );

  app.patch(
    base,
    {
      schema: {
        tags: ['account'],
        summary: 'Change the own name; the photo app follows (U1)',
        security,
        params: InstanceParams,
        body: AccountPatchBody,
        response: { 200: MemberAccount, 400: problem('Invalid name'), 401: notSignedIn, 403: mustChange },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return memberAccount.updateAccount(principal, request.params.subdomain, request.body);
    },
  );

  app.post(
    `${base}/password`,
    {
      schema: {
        tags: ['account'],
        summary: 'Change the own password (U2)',
        description:
          'The current password is required; a wrong one changes nothing and counts as a failed sign-in. ' +
          'Every other session is signed out; this one stays.',
        security,
        params: InstanceParams,
        body: OwnPasswordBody,
        response: {
          204: NoContent,
          400: problem('The new password is not valid (see errors[].field)'),
          401: problem('Not signed in, or the current password is wrong (field currentPassword)'),
          403: sessionOnly,
          429: problem('Too many tries; see Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain, {
        sessionOnly: true,
        allowMustChangePassword: true,
      });
      await app.limitMemberGuesses(request, reply, principal.memberId);
      await memberAuth.changePassword(principal, { ...request.body, clientIp: request.ip });
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/api-keys`,
    {
      schema: {
        tags: ['api-keys'],
        summary: 'The own API keys, without their secrets (U3)',
        security,
        params: InstanceParams,
        response: { 200: ApiKeyList, 401: notSignedIn, 403: mustChange },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return { apiKeys: await memberAccount.listApiKeys(principal) };
    },
  );

  app.post(
    `${base}/api-keys`,
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create a named API key; its secret is in this answer only (U3)',
        description: 'The key acts as this member in this instance only, sent as the x-api-key header.',
        security,
        params: InstanceParams,
        body: ApiKeyBody,
        response: { 201: CreatedApiKey, 400: problem('Invalid name'), 401: notSignedIn, 403: sessionOnly },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain, { sessionOnly: true });
      const created = await memberAccount.createApiKey(principal, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.patch(
    `${base}/api-keys/:id`,
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Rename an own API key (U3)',
        security,
        params: OwnItemParams,
        body: ApiKeyBody,
        response: {
          200: ApiKeyView,
          400: problem('Invalid name'),
          401: notSignedIn,
          403: mustChange,
          404: problem('No such API key of yours'),
        },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return memberAccount.renameApiKey(principal, request.params.id, request.body);
    },
  );

  app.delete(
    `${base}/api-keys/:id`,
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Delete an own API key; it stops working at once (U3)',
        security,
        params: OwnItemParams,
        response: { 204: NoContent, 401: notSignedIn, 403: mustChange, 404: problem('No such API key of yours') },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      await memberAccount.deleteApiKey(principal, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/sessions`,
    {
      schema: {
        tags: ['devices'],
        summary: 'Authorized devices: the own live sign-ins, with device, OS and last access (U4)',
        security,
        params: InstanceParams,
        response: { 200: DeviceList, 401: notSignedIn, 403: mustChange },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      const devices = await memberAccount.listDevices(principal);
      return {
        devices: devices.map((d) => ({
          ...d,
          signedInAt: d.signedInAt.toISOString(),
          lastUsedAt: d.lastUsedAt.toISOString(),
        })),
      };
    },
  );

  app.delete(
    `${base}/sessions/:id`,
    {
      schema: {
        tags: ['devices'],
        summary: 'Revoke one device: its refresh and access tokens stop working at once (U4)',
        security,
        params: OwnItemParams,
        response: { 204: NoContent, 401: notSignedIn, 403: mustChange, 404: problem('No such session of yours') },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      await memberAccount.revokeDevice(principal, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/preferences`,
    {
      schema: {
        tags: ['preferences'],
        summary: 'App settings, with defaults for what was never set (U5)',
        security,
        params: InstanceParams,
        response: { 200: Preferences, 401: notSignedIn, 403: mustChange },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return memberAccount.getPreferences(principal);
    },
  );

  app.patch(
    `${base}/preferences`,
    {
      schema: {
        tags: ['preferences'],
        summary: 'Change some app settings; the others keep their value (U5)',
        security,
        params: InstanceParams,
        body: PreferencesPatch,
        response: {
          200: Preferences,
          400: problem('Unknown or invalid setting (see errors[].field)'),
          401: notSignedIn,
          403: mustChange,
        },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return memberAccount.updatePreferences(principal, request.body);
    },
  );

  app.get(
    `${base}/two-factor`,
    {
      schema: {
        tags: ['two-factor'],
        summary: 'Whether two-factor authentication is on (U6)',
        security,
        params: InstanceParams,
        response: { 200: TwoFactorStatus, 401: notSignedIn, 403: mustChange },
      },
    },
    async (request) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      return memberAccount.getTwoFactor(principal);
    },
  );

  app.post(
    `${base}/two-factor`,
    {
      schema: {
        tags: ['two-factor'],
        summary: 'Start enrolment: a new TOTP secret, active once confirmed with a code (U6)',
        description: 'RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps. Starting again replaces a pending secret.',
        security,
        params: InstanceParams,
        response: {
          201: TwoFactorEnrolment,
          401: notSignedIn,
          403: sessionOnly,
          409: problem('Two-factor authentication is already on'),
        },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain, { sessionOnly: true });
      const enrolment = await memberAccount.enrolTwoFactor(principal, request.params.subdomain);
      return reply.code(201).header('cache-control', 'no-store').send(enrolment);
    },
  );

  app.post(
    `${base}/two-factor/confirm`,
    {
      schema: {
        tags: ['two-factor'],
        summary: 'Confirm enrolment with a current code; from now on sign-in asks for one (U6)',
        security,
        params: InstanceParams,
        body: TwoFactorCodeBody,
        response: {
          204: NoContent,
          400: problem('Wrong code (field code)'),
          401: notSignedIn,
          403: sessionOnly,
          409: problem('No pending enrolment'),
          429: problem('Too many tries; see Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain, { sessionOnly: true });
      await app.limitMemberGuesses(request, reply, principal.memberId);
      await memberAccount.confirmTwoFactor(principal, request.body.code);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    `${base}/two-factor`,
    {
      schema: {
        tags: ['two-factor'],
        summary: 'Turn two-factor authentication off; a current code is required (U6)',
        security,
        params: InstanceParams,
        body: TwoFactorCodeBody,
        response: {
          204: NoContent,
          400: problem('Wrong code (field code)'),
          401: notSignedIn,
          403: sessionOnly,
          409: problem('Two-factor authentication is not on'),
          429: problem('Too many tries; see Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain, { sessionOnly: true });
      await app.limitMemberGuesses(request, reply, principal.memberId);
      await memberAccount.disableTwoFactor(principal, request.body.code);
      return reply.code(204).send(null);
    },
  );
};

export default memberAccountRoutes;
