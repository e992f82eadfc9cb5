// Credentials for the instance realm. Bearer access tokens: HS256 JWTs with the portal's key and issuer, but the
// audience `photoplane-instance:<instanceId>`, so a member token is refused by the portal's routes and by every
// other instance, and a portal token is refused here. Or a personal API key in `x-api-key` (U3), looked up by its
// SHA-256 within this instance only. Each request also checks, in the database, that the session or key is live
// and the member may still sign in (SPEC M7, U4: deletion, disabling and revoking end access at once).
import type { MemberId, SessionId } from '@photoplane/tenant-model';
import { DomainError } from '@photoplane/tenant-model';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { MemberAuthService, MemberPrincipal, MemberSelf } from './member-auth.service.ts';
import { createGuessThrottle, type LoginRateLimit } from '../platform/login-throttle.ts';

export interface MemberAuthPluginOptions {
  memberAuth: MemberAuthService;
  ttlSeconds: number;
  /** How many times a signed-in member may try their current password or a TOTP code a window (sign-in's limit). */
  guessLimit: LoginRateLimit;
}

export interface AuthenticatedMember {
  principal: MemberPrincipal;
  member: MemberSelf;
}

export interface MemberAuthOptions {
  /**
   * Credential changes (password, two-factor, new keys) need a signed-in session: a leaked API key must not be
   * enough to lock its member out or to mint itself successors.
   */
  sessionOnly?: boolean;
  /** Only change-password is open while the member must change their password (M3, M6). */
  allowMustChangePassword?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The member behind the bearer token or API key, for the instance at `subdomain`; throws otherwise. */
    authenticateMember: (
      request: FastifyRequest,
      subdomain: string,
      options?: MemberAuthOptions,
    ) => Promise<AuthenticatedMember>;
    /**
     * Counts one try at the member's current password or TOTP code from a signed-in session, answering 429 past
     * the limit: a stolen session must not be a way to guess them without sign-in's throttle.
     */
    limitMemberGuesses: (request: FastifyRequest, reply: FastifyReply, memberId: string) => Promise<void>;
    signMemberAccessToken: (principal: { instanceId: string; memberId: string; sessionId: string }) => {
      accessToken: string;
      expiresIn: number;
    };
  }
}

export const API_KEY_HEADER = 'x-api-key';

export function memberTokenAudience(instanceId: string): string {
  return `photoplane-instance:${instanceId}`;
}

const invalidToken = () =>
  new DomainError('unauthenticated', 'A valid bearer access token for this instance is required.');

export default fp<MemberAuthPluginOptions>(
  async (app: FastifyInstance, { memberAuth, ttlSeconds, guessLimit }) => {
    app.decorate('limitMemberGuesses', createGuessThrottle(app, guessLimit));

    app.decorate('signMemberAccessToken', ({ instanceId, memberId, sessionId }) => ({
      accessToken: app.jwt.sign({ sub: memberId, sid: sessionId }, { aud: memberTokenAudience(instanceId) }),
      expiresIn: ttlSeconds,
    }));

    async function principalOf(request: FastifyRequest, subdomain: string): Promise<MemberPrincipal> {
      const header = request.headers.authorization;
      const apiKey = request.headers[API_KEY_HEADER];
      const token = header ? /^Bearer (\S+)$/i.exec(header)?.[1] : undefined;
      if (!token && typeof apiKey !== 'string') throw invalidToken();
      const instanceId = await memberAuth.instanceIdOf(subdomain);
      if (!instanceId) throw invalidToken();
      if (!token) return memberAuth.authenticateApiKey(instanceId, apiKey as string);
      let payload: { sub?: unknown; sid?: unknown };
      try {
        payload = app.jwt.verify(token, { allowedAud: memberTokenAudience(instanceId) });
      } catch (e) {
        const expired = (e as { code?: string }).code === 'FAST_JWT_EXPIRED';
        throw expired ? new DomainError('unauthenticated', 'The access token has expired.') : invalidToken();
      }
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw invalidToken();
      return {
        instanceId,
        memberId: payload.sub as MemberId,
        sessionId: payload.sid as SessionId,
        apiKeyId: null,
      };
    }

    app.decorate(
      'authenticateMember',
      async (request: FastifyRequest, subdomain: string, options: MemberAuthOptions = {}) => {
        const principal = await principalOf(request, subdomain);
        const member = await memberAuth.assertSignedIn(principal);
        if (options.sessionOnly && !principal.sessionId) {
          throw new DomainError('forbidden', 'An API key cannot change credentials; sign in with the password.', {
            field: API_KEY_HEADER,
            rule: 'session_required',
          });
        }
        if (member.mustChangePassword && !options.allowMustChangePassword) {
          throw new DomainError('forbidden', 'Change your password first.', { field: 'password', rule: 'must_change' });
        }
        return { principal, member };
      },
    );
  },
  { name: 'member-auth', dependencies: ['auth', 'error-handler'] },
);
