// Bearer access tokens for the instance realm: HS256 JWTs with the portal's key and issuer, but the audience
// `photoplane-instance:<instanceId>`, so a member token is refused by the portal's routes and by every other
// instance, and a portal token is refused here. Each request also checks, in the database, that the session is
// live and the member may still sign in (SPEC M7: deletion and disabling end old tokens at once).
import type { MemberId, SessionId } from '@photoplane/tenant-model';
import { DomainError } from '@photoplane/tenant-model';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { MemberAuthService, MemberPrincipal, MemberSelf } from '../services/member-auth.service.ts';

export interface MemberAuthPluginOptions {
  memberAuth: MemberAuthService;
  ttlSeconds: number;
}

export interface AuthenticatedMember {
  principal: MemberPrincipal;
  member: MemberSelf;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The member behind the bearer token, for the instance at `subdomain`; throws unauthenticated otherwise. */
    authenticateMember: (request: FastifyRequest, subdomain: string) => Promise<AuthenticatedMember>;
    signMemberAccessToken: (principal: MemberPrincipal) => { accessToken: string; expiresIn: number };
  }
}

export function memberTokenAudience(instanceId: string): string {
  return `photoplane-instance:${instanceId}`;
}

const invalidToken = () =>
  new DomainError('unauthenticated', 'A valid bearer access token for this instance is required.');

export default fp<MemberAuthPluginOptions>(
  async (app: FastifyInstance, { memberAuth, ttlSeconds }) => {
    app.decorate('signMemberAccessToken', ({ instanceId, memberId, sessionId }: MemberPrincipal) => ({
      accessToken: app.jwt.sign({ sub: memberId, sid: sessionId }, { aud: memberTokenAudience(instanceId) }),
      expiresIn: ttlSeconds,
    }));

    app.decorate('authenticateMember', async (request: FastifyRequest, subdomain: string) => {
      const header = request.headers.authorization ?? '';
      const token = /^Bearer (\S+)$/i.exec(header)?.[1];
      if (!token) throw invalidToken();
      const instanceId = await memberAuth.instanceIdOf(subdomain);
      if (!instanceId) throw invalidToken();
      let payload: { sub?: unknown; sid?: unknown };
      try {
        payload = app.jwt.verify(token, { allowedAud: memberTokenAudience(instanceId) });
      } catch (e) {
        const expired = (e as { code?: string }).code === 'FAST_JWT_EXPIRED';
        throw expired ? new DomainError('unauthenticated', 'The access token has expired.') : invalidToken();
      }
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw invalidToken();
      const principal: MemberPrincipal = {
        instanceId,
        memberId: payload.sub as MemberId,
        sessionId: payload.sid as SessionId,
      };
      return { principal, member: await memberAuth.assertSignedIn(principal) };
    });
  },
  { name: 'member-auth', dependencies: ['auth', 'error-handler'] },
);
