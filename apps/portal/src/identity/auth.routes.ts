// Portal accounts and sessions (SPEC P1, P2). Thin: each handler passes validated input to one service call
// and shapes the answer; the rules live in the account and session services.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createLoginThrottle, type LoginRateLimit } from '../platform/login-throttle.ts';
import {
  Accepted,
  LoginBody,
  Me,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
  RefreshBody,
  SignUpBody,
  TokenPair,
  VerifyEmailBody,
} from './auth.schema.ts';
import { NoContent, problem } from '../platform/problem.schema.ts';
import type { AccountService } from './account.service.ts';
import type { SessionService, SignedIn } from './session.service.ts';

export interface AuthRoutesOptions {
  accounts: AccountService;
  sessions: SessionService;
  loginRateLimit: LoginRateLimit;
}

const SIGN_UP_ACCEPTED = {
  status: 'accepted' as const,
  message: 'Check your inbox: we have sent an e-mail to this address with what to do next.',
};
const RESET_ACCEPTED = {
  status: 'accepted' as const,
  message: 'If this address has an account, we have sent it a link to choose a new password.',
};
const bearer = [{ bearerAuth: [] }];

const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (
  app,
  { accounts, sessions, loginRateLimit },
) => {
  const tokenPair = async (signedIn: SignedIn) => ({
    ...(await app.signAccessToken(signedIn)),
    refreshToken: signedIn.refreshToken,
  });

  app.post(
    '/v1/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account; a verification link is e-mailed',
        description:
          'Answers 202 with the same body whether or not the address already has an account; an existing ' +
          "account's owner gets an e-mail saying someone tried to sign up instead.",
        body: SignUpBody,
        response: { 202: Accepted, 400: problem('Invalid e-mail address, password or name') },
      },
    },
    async (request, reply) => {
      await accounts.signUp(request.body);
      return reply.code(202).send(SIGN_UP_ACCEPTED);
    },
  );

  app.post(
    '/v1/auth/verify-email',
    {
      schema: {
        tags: ['auth'],
        summary: 'Confirm an e-mail address with the token from the verification link',
        body: VerifyEmailBody,
        response: {
          204: NoContent,
          400: problem('The token is not valid'),
          410: problem('The link has expired or was already used'),
        },
      },
    },
    async (request, reply) => {
      await accounts.verifyEmail(request.body.token);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with e-mail and password',
        description: `At most ${loginRateLimit.max} attempts per client and per e-mail address in each window.`,
        body: LoginBody,
        response: {
          200: TokenPair,
          400: problem('Malformed request'),
          401: problem('Wrong e-mail address or password, or the address is not confirmed (one answer for all)'),
          429: problem('Too many attempts; see Retry-After'),
        },
      },
      preHandler: createLoginThrottle(app, loginRateLimit, sessions),
    },
    async (request) =>
      tokenPair(
        await sessions.logIn({
          email: request.body.email,
          password: request.body.password,
          totpCode: request.body.totpCode,
          clientIp: request.ip,
        }),
      ),
  );

  app.post(
    '/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Trade a refresh token for a new access and refresh token',
        description:
          'Each refresh token works once. Presenting one again revokes the whole sign-in, so a stolen copy ' +
          'stops working for the thief and the owner alike.',
        body: RefreshBody,
        response: { 200: TokenPair, 400: problem('Malformed request'), 401: problem('The refresh token is not valid') },
      },
    },
    async (request) => tokenPair(await sessions.refresh(request.body.refreshToken)),
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign out: revoke this sign-in and its tokens',
        security: bearer,
        response: { 204: NoContent, 401: problem('Not signed in') },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      await sessions.logOut(request.user);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in account',
        security: bearer,
        response: { 200: Me, 401: problem('Not signed in') },
      },
      onRequest: app.authenticate,
    },
    async (request) => accounts.getAccount(request.user.accountId),
  );

  app.post(
    '/v1/auth/password-reset/request',
    {
      schema: {
        tags: ['auth'],
        summary: 'E-mail a password reset link',
        description: 'Answers 202 with the same body whether or not the address has an account.',
        body: PasswordResetRequestBody,
        response: { 202: Accepted, 400: problem('Malformed request') },
      },
    },
    async (request, reply) => {
      await accounts.requestPasswordReset(request.body.email);
      return reply.code(202).send(RESET_ACCEPTED);
    },
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the token from the reset link; signs out every session',
        body: PasswordResetConfirmBody,
        response: {
          204: NoContent,
          400: problem('The token or the new password is not valid'),
          410: problem('The link has expired or was already used'),
        },
      },
    },
    async (request, reply) => {
      await accounts.resetPassword(request.body);
      return reply.code(204).send(null);
    },
  );
};

export default authRoutes;
