// Member sign-in at the instance realm (SPEC M3, M7, U2, U4, U6). Thin: each handler passes validated input to one
// member-auth service call. Sign-in is throttled per client IP and per (instance, e-mail) like the portal realm's,
// and answers an access token plus a rotating refresh token. While a member must change their password, their
// token opens change-password only.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createMemberLoginThrottle, type LoginRateLimit } from '../platform/login-throttle.ts';
import { NoContent, problem } from '../platform/problem.schema.ts';
import {
  ChangePasswordBody,
  InstanceParams,
  MemberLoginBody,
  MemberRefreshBody,
  MemberToken,
} from './member.schema.ts';
import type { MemberAuthService, SignedInMember } from './member-auth.service.ts';

export interface InstanceAuthRoutesOptions {
  memberAuth: MemberAuthService;
  loginRateLimit: LoginRateLimit;
}

const bearer = [{ bearerAuth: [] }];
const tags = ['instance-auth'];
const base = '/v1/instances/:subdomain/auth';

const instanceAuthRoutes: FastifyPluginAsyncTypebox<InstanceAuthRoutesOptions> = async (
  app,
  { memberAuth, loginRateLimit },
) => {
  const tokens = (signedIn: SignedInMember) => ({
    ...app.signMemberAccessToken(signedIn),
    refreshToken: signedIn.refreshToken,
    mustChangePassword: signedIn.mustChangePassword,
  });

  app.post(
    `${base}/login`,
    {
      schema: {
        tags,
        summary: "Sign in as a member of this instance; the token is valid for this instance's API only",
        description:
          `At most ${loginRateLimit.max} attempts per client and per e-mail address of this instance in each ` +
          'window. With two-factor authentication on, the code goes in totpCode: without it the answer is 401 ' +
          'naming the field totpCode.',
        params: InstanceParams,
        body: MemberLoginBody,
        response: {
          200: MemberToken,
          400: problem('Malformed request'),
          401: problem('Wrong e-mail or password, or the account cannot sign in (one answer for all); or totpCode'),
          429: problem('Too many attempts; see Retry-After'),
        },
      },
      preHandler: createMemberLoginThrottle(app, loginRateLimit, memberAuth),
    },
    async (request, reply) => {
      const signedIn = await memberAuth.logIn({
        subdomain: request.params.subdomain,
        email: request.body.email,
        password: request.body.password,
        totpCode: request.body.totpCode,
        clientIp: request.ip,
        userAgent: request.headers['user-agent'],
      });
      return reply.header('cache-control', 'no-store').send(tokens(signedIn));
    },
  );

  app.post(
    `${base}/refresh`,
    {
      schema: {
        tags,
        summary: 'Trade a refresh token for a new access and refresh token',
        description:
          'Each refresh token works once; presenting one again revokes the whole sign-in. A revoked device ' +
          'cannot refresh.',
        params: InstanceParams,
        body: MemberRefreshBody,
        response: { 200: MemberToken, 400: problem('Malformed request'), 401: problem('Not a valid refresh token') },
      },
    },
    async (request, reply) => {
      const signedIn = await memberAuth.refresh({
        subdomain: request.params.subdomain,
        refreshToken: request.body.refreshToken,
      });
      return reply.header('cache-control', 'no-store').send(tokens(signedIn));
    },
  );

  app.post(
    `${base}/logout`,
    {
      schema: {
        tags,
        summary: 'Sign out: this sign-in and its tokens stop working',
        security: bearer,
        params: InstanceParams,
        response: { 204: NoContent, 401: problem('Not signed in') },
      },
    },
    async (request, reply) => {
      const { principal } = await app.authenticateMember(request, request.params.subdomain, {
        allowMustChangePassword: true,
      });
      await memberAuth.logOut(principal);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/change-password`,
    {
      schema: {
        tags,
        summary: 'Change the own password (the current one is required); signs out the other sessions',
        description: 'The same as POST …/me/password.',
        security: bearer,
        params: InstanceParams,
        body: ChangePasswordBody,
        response: {
          204: NoContent,
          400: problem('The new password is not valid'),
          401: problem('Not signed in, or the current password is wrong'),
          403: problem('Asked with an API key'),
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
};

export default instanceAuthRoutes;
