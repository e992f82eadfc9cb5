// The support area's door (SPEC A5, A6): every route names the permission it needs; this onRequest hook, after the
// bearer check, resolves the signed-in member of staff once (role, e-mail, client address) and refuses anyone whose
// role lacks the permission with 403 naming it, writing the refusal to the audit log.
import type { Permission } from '@photoplane/tenant-model';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Staff, SupportService } from './support.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the support gate on support routes. */
    staff?: Staff;
  }
}

/** What the OpenAPI document says of each support route, so clients and tests read the permission off it. */
export const permissionNote = (permission: Permission) => `Needs the permission \`${permission}\`.`;

export function createSupportGate(app: FastifyInstance, support: SupportService) {
  return (permission: Permission) => ({
    onRequest: [
      app.authenticate,
      async (request: FastifyRequest) => {
        request.staff = await support.authorize(request.user, request.ip, permission, {
          method: request.method,
          route: request.routeOptions.url ?? request.url,
        });
      },
    ],
  });
}

export function staffOf(request: FastifyRequest): Staff {
  if (!request.staff) throw new Error('support route without the support gate');
  return request.staff;
}
