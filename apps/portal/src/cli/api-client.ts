// The support API as the `photoplane` CLI calls it: openapi-fetch over the types generated from the portal's OpenAPI
// document (openapi.d.ts), with the staff session's bearer token. The access token is refreshed shortly before it
// expires (the new pair is stored at once: a refresh token works once); a session that has ended (logged out,
// revoked, or past its staff lifetime) is reported as such, never retried.
import createClient from 'openapi-fetch';
import type { paths } from './openapi.d.ts';
import type { SessionStore, StoredSession } from './session-store.ts';

export interface Problem {
  status: number;
  title?: string;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
  permission?: string;
}

/** An answer other than 2xx, with the portal's problem+json. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** The stored sign-in is gone or no longer accepted. */
export class NotSignedInError extends Error {
  override name = 'NotSignedInError';
}

const REFRESH_MARGIN_MS = 30_000;

function problemOf(status: number, error: unknown): Problem {
  return error && typeof error === 'object' ? { status, ...error } : { status };
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    if (response.status === 401)
      throw new NotSignedInError(
        `${(problemOf(401, error).detail ?? 'no valid sign-in').replace(/\.$/, '')}: run photoplane login`,
      );
    throw new ApiError(response.status, problemOf(response.status, error));
  }
  return data as T;
}

/** Signs in; `totpCode` is asked for by the portal (401 naming the field) when the account is staff. */
export async function logIn(url: string, input: { email: string; password: string; totpCode?: string | undefined }) {
  const client = createClient<paths>({ baseUrl: url });
  const { data, error, response } = await client.POST('/v1/auth/login', { body: input });
  if (!response.ok || !data) throw new ApiError(response.status, problemOf(response.status, error));
  return data;
}

export function createSupportApi(session: StoredSession, store: SessionStore, now: () => number = Date.now) {
  let current = session;

  async function freshAccessToken(): Promise<string> {
    if (Date.parse(current.accessExpiresAt) - REFRESH_MARGIN_MS > now()) return current.accessToken;
    const plain = createClient<paths>({ baseUrl: current.url });
    const { data, error, response } = await plain.POST('/v1/auth/refresh', {
      body: { refreshToken: current.refreshToken },
    });
    if (!response.ok || !data) {
      if (response.status === 401) {
        await store.remove();
        throw new NotSignedInError('your sign-in has ended (expired or revoked); run photoplane login');
      }
      throw new ApiError(response.status, problemOf(response.status, error));
    }
    current = {
      ...current,
      accessToken: data.accessToken,
      refreshToken: data.refreshToken,
      accessExpiresAt: new Date(now() + data.expiresIn * 1000).toISOString(),
    };
    await store.write(current);
    return current.accessToken;
  }

  const client = createClient<paths>({
    baseUrl: session.url,
    fetch: async (request: Request) => {
      request.headers.set('authorization', `Bearer ${await freshAccessToken()}`);
      return fetch(request);
    },
  });
  const S = '/v1/support';
  type TenantQuery = { search?: string | undefined; state?: string | undefined; limit?: number | undefined };
  const tenantQuery = (q: TenantQuery) => ({
    ...(q.search ? { search: q.search } : {}),
    ...(q.state ? { state: q.state as never } : {}),
    ...(q.limit ? { limit: q.limit } : {}),
  });
  const u = (subdomain: string, user: string) => ({ path: { subdomain, user } });

  return {
    session: () => current,

    me: () => unwrap(client.GET('/v1/me')),
    logOut: () => unwrap(client.POST('/v1/auth/logout')),

    // ----- shared links taken down at the edge (issue 14) ----------------------------------------------------------
    blockLink: (url: string, reason: string) => unwrap(client.POST(`${S}/link-blocks`, { body: { url, reason } })),
    listLinkBlocks: async (q: { subdomain?: string; url?: string; holding?: boolean; limit?: number }) =>
      (await unwrap(client.GET(`${S}/link-blocks`, { params: { query: q } }))).blocks,
    liftLinkBlock: (id: string, reason: string) =>
      unwrap(client.POST(`${S}/link-blocks/{id}/lift`, { params: { path: { id } }, body: { reason } })),

    // ----- fleet upgrades (F3) ----------------------------------------------------------------------------------
    startFleetUpgrade: (body: {
      image: string;
      reason: string;
      canary?: number;
      growth?: number;
      maxWave?: number;
      maxFailureRate?: number;
    }) => unwrap(client.POST(`${S}/fleet/upgrades`, { body })),
    listFleetUpgrades: async (limit?: number) =>
      (await unwrap(client.GET(`${S}/fleet/upgrades`, { params: { query: limit ? { limit } : {} } }))).upgrades,
    showFleetUpgrade: (id: string) => unwrap(client.GET(`${S}/fleet/upgrades/{id}`, { params: { path: { id } } })),
    steerFleetUpgrade: (id: string, action: 'pause' | 'resume' | 'cancel', reason: string) => {
      const init = { params: { path: { id } }, body: { reason } };
      switch (action) {
        case 'pause':
          return unwrap(client.POST(`${S}/fleet/upgrades/{id}/pause`, init));
        case 'resume':
          return unwrap(client.POST(`${S}/fleet/upgrades/{id}/resume`, init));
        case 'cancel':
          return unwrap(client.POST(`${S}/fleet/upgrades/{id}/cancel`, init));
      }
    },

    // ----- tenants -----------------------------------------------------------------------------------------------
    listTenants: async (q: TenantQuery) =>
      (await unwrap(client.GET(`${S}/tenants`, { params: { query: tenantQuery(q) } }))).tenants,
    usageReport: async (q: TenantQuery) =>
      (await unwrap(client.GET(`${S}/usage`, { params: { query: tenantQuery(q) } }))).instances,
    // ----- backups (SPEC F1) -------------------------------------------------------------------------------------
    listBackups: (subdomain: string) =>
      unwrap(client.GET(`${S}/tenants/{subdomain}/backups`, { params: { path: { subdomain } } })),
    backupTenant: (subdomain: string, reason: string) =>
      unwrap(client.POST(`${S}/tenants/{subdomain}/backups`, { params: { path: { subdomain } }, body: { reason } })),
    restoreTenant: (subdomain: string, body: { snapshot: string; target: 'in-place' | 'inspection'; reason: string }) =>
      unwrap(client.POST(`${S}/tenants/{subdomain}/restore`, { params: { path: { subdomain } }, body })),
    listInspections: (subdomain: string) =>
      unwrap(client.GET(`${S}/tenants/{subdomain}/inspections`, { params: { path: { subdomain } } })),
    removeInspection: (subdomain: string, id: string, reason: string) =>
      unwrap(
        client.DELETE(`${S}/tenants/{subdomain}/inspections/{id}`, {
          params: { path: { subdomain, id } },
          body: { reason },
        }),
      ),
    showTenant: (subdomain: string) =>
      unwrap(client.GET(`${S}/tenants/{subdomain}`, { params: { path: { subdomain } } })),
    operateTenant: (
      subdomain: string,
      operation: 'suspend' | 'resume' | 'reprovision' | 'deprovision',
      reason: string,
    ) => {
      const params = { path: { subdomain } };
      switch (operation) {
        case 'suspend':
          return unwrap(client.POST(`${S}/tenants/{subdomain}/suspend`, { params, body: { reason } }));
        case 'resume':
          return unwrap(client.POST(`${S}/tenants/{subdomain}/resume`, { params, body: { reason } }));
        case 'reprovision':
          return unwrap(client.POST(`${S}/tenants/{subdomain}/reprovision`, { params, body: { reason } }));
        case 'deprovision':
          return unwrap(client.DELETE(`${S}/tenants/{subdomain}`, { params, body: { reason } }));
      }
    },

    // ----- users (members of an instance) -----------------------------------------------------------------------
    listUsers: async (subdomain: string, search: string | undefined) =>
      (
        await unwrap(
          client.GET(`${S}/tenants/{subdomain}/users`, {
            params: { path: { subdomain }, query: search ? { search } : {} },
          }),
        )
      ).users,
    addUser: (
      subdomain: string,
      body: paths['/v1/support/tenants/{subdomain}/users']['post']['requestBody']['content']['application/json'],
    ) => unwrap(client.POST(`${S}/tenants/{subdomain}/users`, { params: { path: { subdomain } }, body })),
    showUser: (subdomain: string, user: string) =>
      unwrap(client.GET(`${S}/tenants/{subdomain}/users/{user}`, { params: u(subdomain, user) })),
    modUser: (
      subdomain: string,
      user: string,
      body: paths['/v1/support/tenants/{subdomain}/users/{user}']['patch']['requestBody']['content']['application/json'],
    ) => unwrap(client.PATCH(`${S}/tenants/{subdomain}/users/{user}`, { params: u(subdomain, user), body })),
    removeUser: (subdomain: string, user: string, body: { reason: string; immediate?: boolean; confirm?: string }) =>
      unwrap(client.DELETE(`${S}/tenants/{subdomain}/users/{user}`, { params: u(subdomain, user), body })),
    resetUser: (subdomain: string, user: string, reason: string) =>
      unwrap(
        client.POST(`${S}/tenants/{subdomain}/users/{user}/password-reset`, {
          params: u(subdomain, user),
          body: { reason },
        }),
      ),
    disableUserTwoFactor: (subdomain: string, user: string, reason: string) =>
      unwrap(
        client.DELETE(`${S}/tenants/{subdomain}/users/{user}/two-factor`, {
          params: u(subdomain, user),
          body: { reason },
        }),
      ),
    setUserPassword: (subdomain: string, user: string, password: string, reason: string) =>
      unwrap(
        client.PUT(`${S}/tenants/{subdomain}/users/{user}/password`, {
          params: u(subdomain, user),
          body: { password, reason },
        }),
      ),

    // ----- sign-ins ---------------------------------------------------------------------------------------------
    listLogins: async (q: { search?: string | undefined; limit?: number | undefined }) =>
      (
        await unwrap(
          client.GET(`${S}/logins`, {
            params: { query: { ...(q.search ? { search: q.search } : {}), ...(q.limit ? { limit: q.limit } : {}) } },
          }),
        )
      ).logins,
    clearLogins: (reason: string) => unwrap(client.DELETE(`${S}/logins`, { body: { reason } })),
    listCredentials: async (q: { search?: string | undefined; limit?: number | undefined; all?: boolean }) =>
      (
        await unwrap(
          client.GET(`${S}/auth`, {
            params: {
              query: {
                ...(q.search ? { search: q.search } : {}),
                ...(q.limit ? { limit: q.limit } : {}),
                ...(q.all ? { all: true } : {}),
              },
            },
          }),
        )
      ).credentials,
    addApiKey: (body: { instance: string; user: string; name: string; reason: string }) =>
      unwrap(client.POST(`${S}/auth`, { body })),
    resetCredentials: (body: { user: string; instance?: string; reason: string }) =>
      unwrap(client.POST(`${S}/auth/reset`, { body })),
    showCredential: (id: string) => unwrap(client.GET(`${S}/auth/{id}`, { params: { path: { id } } })),
    revokeCredential: (id: string, reason: string) =>
      unwrap(client.DELETE(`${S}/auth/{id}`, { params: { path: { id } }, body: { reason } })),

    // ----- staff accounts -----------------------------------------------------------------------------------------
    listStaff: async () => (await unwrap(client.GET(`${S}/staff`))).staff,
    addStaff: (body: { email: string; name?: string; role: 'support' | 'superadmin'; reason: string }) =>
      unwrap(client.POST(`${S}/staff`, { body })),
    setStaffRole: (email: string, role: 'support' | 'superadmin', reason: string) =>
      unwrap(client.PUT(`${S}/staff/{email}/role`, { params: { path: { email } }, body: { role, reason } })),
    removeStaff: (email: string, reason: string) =>
      unwrap(client.DELETE(`${S}/staff/{email}`, { params: { path: { email } }, body: { reason } })),

    // ----- audit ----------------------------------------------------------------------------------------------------
    listAudit: async (q: { actor?: string; instance?: string; since?: string; until?: string; limit?: number }) =>
      (await unwrap(client.GET(`${S}/audit`, { params: { query: q } }))).events,
  };
}

export type SupportApi = ReturnType<typeof createSupportApi>;
