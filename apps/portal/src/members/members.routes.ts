// The instance owner's member administration (SPEC M1-M8), for the account that owns the instance's subscription
// or for staff. Thin: each handler passes validated input to one member service call. A member id that is not a
// member of this instance, whoever's it is, answers 404 "No such member".
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NoContent, problem } from '../platform/problem.schema.ts';
import {
  CreatedMember,
  DeleteMemberBody,
  InstanceParams,
  MemberList,
  MemberListQuery,
  MemberParams,
  MemberPatchBody,
  MemberStats,
  MemberView,
  NewMemberBody,
  PasswordReset,
  quotaProblem,
  RegisterBody,
  Settings,
  SettingsBody,
} from './member.schema.ts';
import { OwnerBlockedLinks } from '../edge/link-block.schema.ts';
import type { InvitationService } from './invitation.service.ts';
import type { MemberService } from './member.service.ts';
import { sendRemembered } from '../platform/remembered-reply.ts';

export interface MemberRoutesOptions {
  members: MemberService;
  invitations: InvitationService;
}

const bearer = [{ bearerAuth: [] }];
const tags = ['members'];
const base = '/v1/instances/:subdomain';
const notSignedIn = problem('Not signed in');
const noInstance = problem('No such instance (or not yours)');
const noMember = problem('No such member in this instance');

const memberRoutes: FastifyPluginAsyncTypebox<MemberRoutesOptions> = async (app, { members, invitations }) => {
  app.get(
    `${base}/members`,
    {
      schema: {
        tags,
        summary: "The instance's members, optionally filtered by name or e-mail",
        security: bearer,
        params: InstanceParams,
        querystring: MemberListQuery,
        response: { 200: MemberList, 401: notSignedIn, 404: noInstance },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const list = await members.listMembers(request.user, request.params.subdomain, request.query.search);
      return sendRemembered(reply, list, () => ({ members: list }));
    },
  );

  app.post(
    `${base}/members`,
    {
      schema: {
        tags,
        summary: 'Add a member: by e-mailed invitation, or with a random password shown once',
        security: bearer,
        params: InstanceParams,
        body: NewMemberBody,
        response: {
          201: CreatedMember,
          400: problem('Invalid field'),
          401: notSignedIn,
          404: noInstance,
          409: problem('E-mail address or storage label already used in this instance (see errors[].field)'),
          422: quotaProblem('The quota exceeds what the plan has left (see bytesAvailable)'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const created = await members.addMember(request.user, request.params.subdomain, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    `${base}/members/:id`,
    {
      schema: {
        tags,
        summary: 'One member',
        security: bearer,
        params: MemberParams,
        response: { 200: MemberView, 401: notSignedIn, 404: noMember },
      },
      onRequest: app.authenticate,
    },
    async (request) => members.getMember(request.user, request.params.subdomain, request.params.id),
  );

  app.patch(
    `${base}/members/:id`,
    {
      schema: {
        tags,
        summary: 'Change name, role, quota, storage label or no-login',
        security: bearer,
        params: MemberParams,
        body: MemberPatchBody,
        response: {
          200: MemberView,
          400: problem('Invalid field'),
          401: notSignedIn,
          403: problem('The owner cannot be demoted or disabled'),
          404: noMember,
          409: problem('Storage label already used, or the member is scheduled for deletion'),
          422: quotaProblem('The quota exceeds what the plan has left (see bytesAvailable)'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request) => members.updateMember(request.user, request.params.subdomain, request.params.id, request.body),
  );

  app.post(
    `${base}/members/:id/password-reset`,
    {
      schema: {
        tags,
        summary: 'Reset the password to a random one, shown once; the member must change it at next sign-in',
        security: bearer,
        params: MemberParams,
        response: { 200: PasswordReset, 401: notSignedIn, 404: noMember, 409: problem('Scheduled for deletion') },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const reset = await members.resetPassword(request.user, request.params.subdomain, request.params.id);
      return reply.header('cache-control', 'no-store').send(reset);
    },
  );

  app.delete(
    `${base}/members/:id/two-factor`,
    {
      schema: {
        tags,
        summary: "Turn a member's two-factor authentication off (recovery after a lost authenticator)",
        security: bearer,
        params: MemberParams,
        response: { 204: NoContent, 401: notSignedIn, 404: noMember },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      await members.disableTwoFactor(request.user, request.params.subdomain, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    `${base}/members/:id`,
    {
      schema: {
        tags,
        summary: "Delete a member: disabled at once, removed after the instance's delay (or at once)",
        description:
          'With immediate: true the member and their files are removed at once and cannot be restored; confirm ' +
          "must then hold the member's e-mail address.",
        security: bearer,
        params: MemberParams,
        body: DeleteMemberBody,
        response: {
          200: MemberView,
          400: problem('Immediate deletion not confirmed'),
          401: notSignedIn,
          403: problem('The owner cannot be deleted'),
          404: noMember,
          409: problem('Already scheduled for deletion'),
        },
      },
      onRequest: app.authenticate,
      // A DELETE usually has no body: treat none as {}.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => members.deleteMember(request.user, request.params.subdomain, request.params.id, request.body),
  );

  app.post(
    `${base}/members/:id/restore`,
    {
      schema: {
        tags,
        summary: 'Restore a member scheduled for deletion, before the deadline',
        security: bearer,
        params: MemberParams,
        response: {
          200: MemberView,
          401: notSignedIn,
          404: noMember,
          409: problem('Not scheduled for deletion'),
          410: problem('Past the deadline, or deleted immediately'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request) => members.restoreMember(request.user, request.params.subdomain, request.params.id),
  );

  app.get(
    `${base}/settings`,
    {
      schema: {
        tags,
        summary: "The instance's member settings as they stand: the deletion delay in days",
        security: bearer,
        params: InstanceParams,
        response: { 200: Settings, 401: notSignedIn, 404: noInstance },
      },
      onRequest: app.authenticate,
    },
    async (request) => members.getSettings(request.user, request.params.subdomain),
  );

  app.put(
    `${base}/settings`,
    {
      schema: {
        tags,
        summary: "The instance's member settings: the deletion delay in days",
        description: 'A changed delay applies to members already scheduled, at the next midnight run.',
        security: bearer,
        params: InstanceParams,
        body: SettingsBody,
        response: { 200: Settings, 400: problem('Invalid delay'), 401: notSignedIn, 404: noInstance },
      },
      onRequest: app.authenticate,
    },
    async (request) => members.updateSettings(request.user, request.params.subdomain, request.body),
  );

  app.get(
    `${base}/blocked-links`,
    {
      schema: {
        tags,
        summary: "The instance's shared links the operator has taken down at the edge, newest first, and why",
        description: 'Lifted blocks are listed too (`liftedAt`). A blocked link answers its visitors 451.',
        security: bearer,
        params: InstanceParams,
        response: { 200: OwnerBlockedLinks, 401: notSignedIn, 404: noInstance },
      },
      onRequest: app.authenticate,
    },
    async (request) => members.blockedLinks(request.user, request.params.subdomain),
  );

  app.get(
    `${base}/stats`,
    {
      schema: {
        tags,
        summary: "Each member's usage and share of their quota; the instance's total against the plan",
        security: bearer,
        params: InstanceParams,
        response: { 200: MemberStats, 401: notSignedIn, 404: noInstance },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const stats = await members.stats(request.user, request.params.subdomain);
      return sendRemembered(reply, stats, () => stats);
    },
  );

  app.post(
    `${base}/register`,
    {
      schema: {
        tags,
        summary: 'Complete an invitation: set the password with the token from the e-mailed link',
        params: InstanceParams,
        body: RegisterBody,
        response: {
          204: NoContent,
          400: problem('Password too short or too long'),
          404: problem('No such invitation (unknown, revoked, or for another instance)'),
          409: problem('The invitation was already used'),
          410: problem('The invitation has expired'),
        },
      },
    },
    async (request, reply) => {
      await invitations.register({ subdomain: request.params.subdomain, ...request.body });
      return reply.code(204).send(null);
    },
  );
};

export default memberRoutes;
