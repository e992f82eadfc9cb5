// Member sign-in at the instance realm (SPEC M3, M7, U1, U2). Thin: each handler passes validated input to one
// member-auth service call. While a member must change their password, their token opens change-password only.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@photoplane/tenant-model';
import { NoContent, problem } from '../../schemas/auth.schema.ts';
import {
  ChangePasswordBody,
  InstanceParams,
  MemberLoginBody,
  MemberSelf,
  MemberToken,
} from '../../schemas/member.schema.ts';
import type { MemberAuthService } from '../../services/member-auth.service.ts';

export interface InstanceAuthRoutesOptions {
  memberAuth: MemberAuthService;
}

const bearer = [{ bearerAuth: [] }];
const tags = ['instance-auth'];
const base = '/v1/instances/:subdomain/auth';

const instanceAuthRoutes: FastifyPluginAsyncTypebox<InstanceAuthRoutesOptions> = async (app, { memberAuth }) => {
  app.post(
    `${base}/login`,
    {
      schema: {
        tags,
        summary: "Sign in as a member of this instance; the token is valid for this instance's API only",
        params: InstanceParams,
        body: MemberLoginBody,
        response: {
          200: MemberToken,
          400: problem('Malformed request'),
          401: problem('Wrong e-mail or password, or the account cannot sign in (one answer for all)'),
        },
      },
    },
    async (request, reply) => {
      const signedIn = await memberAuth.logIn({
        subdomain: request.params.subdomain,
        email: request.body.email,
        password: request.body.password,
        clientIp: request.ip,
      });
      return reply
        .header('cache-control', 'no-store')
        .send({ ...app.signMemberAccessToken(signedIn), mustChangePassword: signedIn.mustChangePassword });
    },
  );

  app.post(
    `${base}/change-password`,
    {
      schema: {
        tags,
        summary: 'Change the own password (the current one is required); signs out the other sessions',
        security: bearer,
        params: InstanceParams,
        body: ChangePasswordBody,
        response: {
          204: NoContent,
          400: problem('The new password is not valid'),
          401: problem('Not signed in, or the current password is wrong'),
        },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain);
      await memberAuth.changePassword(principal, request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/instances/:subdomain/me',
    {
      schema: {
        tags,
        summary: 'The signed-in member',
        security: bearer,
        params: InstanceParams,
        response: {
          200: MemberSelf,
          401: problem('Not signed in'),
          403: problem('The password must be changed first'),
        },
      },
    },
    async (request) => {
      const { member } = await app.authenticateMember(request, request.params.subdomain);
      if (member.mustChangePassword) {
        throw new DomainError('forbidden', 'Change your password first.', { field: 'password', rule: 'must_change' });
      }
      return member;
    },
  );
};

export default instanceAuthRoutes;
