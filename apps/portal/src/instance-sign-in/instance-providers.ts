// The OpenID provider of every instance (SPEC I1). Each instance gets a provider of its own, at its own address
// (`<instance origin>/photoplane`), that knows two clients of that instance only: its photo app, and the member's
// account page at the same address (a session-only client: `response_type=none`, no code, no token). A member of A
// asking B's provider for a code finds no account there, and A's clients are unknown to B's provider: isolation is
// in the structure, not in a check. Providers are built on first use and cached; they share the PostgreSQL-backed state,
// the signing keys and the cookie keys.
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { effectiveLimit, memberCanSignIn, type InstanceId, type MemberId } from '@photoplane/tenant-model';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { MemberUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { OidcRepository } from './oidc.repository.ts';
import type { MemberPrincipal } from '../members/member-auth.service.ts';
import { hashSecretToken } from '../platform/secret-token.ts';
import { deviceFromUserAgent } from '../platform/user-agent.ts';
import { loopbackAwareFetch } from './loopback-fetch.ts';
import type { SigningKeyRing, SigningKeys } from './signing-keys.ts';
import { renderLogoutPage, renderProviderError, renderSignedOutPage } from './pages.ts';

/** Everything below this path at an instance's host is Photoplane's; the rest is the photo app's. */
export const SIGN_IN_PREFIX = '/photoplane';
/** The claims the photo app is configured to read (see the provisioner's photo-app settings). */
export const CLAIMS = { quota: 'immich_quota', storageLabel: 'immich_storage_label', role: 'immich_role' } as const;
const GIB = 1024 ** 3;

export interface OidcInstance {
  id: InstanceId;
  subdomain: string;
  /** e.g. https://smith.photos.example.com, no trailing slash */
  origin: string;
}

export interface OidcProvidersDeps {
  members: MemberUnitOfWork;
  oidc: OidcRepository;
  signingKeys: SigningKeys;
  /** PHOTOPLANE_INSTANCE_URL: an origin with `{subdomain}`. */
  instanceUrlTemplate: string;
  domain: string;
  /** Signs the provider's cookies (derived from OIDC_SECRET_KEY). */
  cookieKeys: string[];
  /** base64url key the client secrets are derived from (OIDC_CLIENT_SECRET_KEY). */
  clientSecretKey: string;
  /** How long a photo-app sign-in lasts without signing in again. */
  sessionTtlSeconds: number;
  /** Behind the edge: believe X-Forwarded-Proto for secure cookies. */
  behindProxy: boolean;
  log: { warn(details: object, message: string): void; error(details: object, message: string): void };
  now?: () => Date;
}

const ID_TOKEN_TTL_SECONDS = 60 * 60;
/** Where the member's own account pages live at the instance's address (U1-U6). */
export const ACCOUNT_PATH = `${SIGN_IN_PREFIX}/account`;
/** The account page's client: it only ever asks the provider for a signed-in session. */
export const accountClientId = (instanceId: string) => `${instanceId}.account`;
/** Instances whose providers are kept built; more are rebuilt on demand. */
const CACHE_SIZE = 500;

export function createOidcProviders(deps: OidcProvidersDeps) {
  const now = deps.now ?? (() => new Date());
  const clientKey = Buffer.from(deps.clientSecretKey, 'base64url');
  const cache = new Map<string, { provider: Provider; instanceId: string; keyVersion: string }>();
  let ring: SigningKeyRing | undefined;
  let ringLoaded = 0;
  const RING_REFRESH_MS = 60_000;

  const originOf = (subdomain: string) => deps.instanceUrlTemplate.replace('{subdomain}', subdomain);

  async function keyRing(): Promise<SigningKeyRing> {
    if (!ring || Date.now() - ringLoaded > RING_REFRESH_MS) {
      ring = await deps.signingKeys.load();
      ringLoaded = Date.now();
    }
    return ring;
  }

  function clientSecretFor(instanceId: string): string {
    return createHmac('sha256', clientKey).update(instanceId).digest('base64url');
  }

  /** oidc-provider's storage contract, one class per provider, all on the oidc_payload table. */
  function adapterClass(instance: OidcInstance) {
    return class PostgresAdapter implements Adapter {
      constructor(readonly kind: string) {}

      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        const expiresAt = expiresIn ? new Date(now().getTime() + expiresIn * 1000) : null;
        await deps.oidc.upsert(this.kind, id, payload, expiresAt);
        if (this.kind === 'Session') await mirrorSession(instance, payload, expiresAt);
      }

      async find(id: string): Promise<AdapterPayload | undefined> {
        const found = await deps.oidc.find(this.kind, id, now());
        if (!found) return undefined;
        // A sign-in revoked in Photoplane (device revoked, member disabled) ends the provider's session too.
        if (this.kind === 'Session' && typeof found.payload.uid === 'string') {
          if (!(await deps.oidc.devices.isLive(found.payload.uid, now()))) {
            await deps.oidc.destroy(this.kind, id);
            return undefined;
          }
        }
        return withConsumed(found);
      }

      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        return withConsumed(await deps.oidc.findBy(this.kind, 'userCode', userCode, now()));
      }

      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        return withConsumed(await deps.oidc.findBy(this.kind, 'uid', uid, now()));
      }

      async consume(id: string): Promise<void> {
        await deps.oidc.consume(this.kind, id, now());
      }

      async destroy(id: string): Promise<void> {
        const gone = await deps.oidc.destroy(this.kind, id);
        // Signing out at the provider (or its session expiring) ends the device, and so the photo app's session.
        if (this.kind === 'Session' && typeof gone?.uid === 'string') await deps.oidc.devices.revoke(gone.uid, now());
      }

      async revokeByGrantId(grantId: string): Promise<void> {
        await deps.oidc.revokeByGrantId(grantId);
      }
    };
  }

  function withConsumed(found: { payload: Record<string, unknown>; consumedAt: Date | null } | null) {
    if (!found) return undefined;
    const payload = { ...found.payload } as AdapterPayload;
    if (found.consumedAt) payload.consumed = Math.floor(found.consumedAt.getTime() / 1000);
    return payload;
  }

  /** Each provider session with a signed-in member is a device (U4) of that member. */
  async function mirrorSession(instance: OidcInstance, payload: AdapterPayload, expiresAt: Date | null) {
    const accountId = payload.accountId;
    const uid = payload.uid;
    if (typeof accountId !== 'string' || typeof uid !== 'string') return;
    const authorization = payload.authorizations?.[instance.id];
    const ctx = Provider.ctx;
    const device = deviceFromUserAgent(ctx?.get('user-agent') || undefined);
    await deps.oidc.devices.mirror({
      instanceId: instance.id,
      memberId: accountId as MemberId,
      oidcSessionUid: uid,
      oidcSid: authorization?.sid ?? null,
      expiresAt: expiresAt ?? new Date(now().getTime() + deps.sessionTtlSeconds * 1000),
      deviceType: device.deviceType,
      deviceOs: device.deviceOs,
      unusableRefreshTokenHash: hashSecretToken(randomUUID() + randomUUID()),
      familyId: randomUUID(),
      at: now(),
    });
  }

  async function buildProvider(instance: OidcInstance, keys: SigningKeyRing): Promise<Provider> {
    const origin = instance.origin;
    const configuration: Configuration = {
      adapter: adapterClass(instance),
      clients: [
        {
          client_id: instance.id,
          client_secret: clientSecretFor(instance.id),
          client_name: `${instance.subdomain} photo library`,
          application_type: 'web',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
          id_token_signed_response_alg: 'RS256',
          // The web app's callback, its account-linking page, and the https redirect the mobile app uses (the photo
          // app forwards it to app.immich:///oauth-callback: a web client may not register a custom scheme).
          redirect_uris: [`${origin}/auth/login`, `${origin}/user-settings`, `${origin}/api/oauth/mobile-redirect`],
          post_logout_redirect_uris: [`${origin}/auth/login`, `${origin}/auth/login?autoLaunch=0`, `${origin}/`],
          backchannel_logout_uri: `${origin}/api/oauth/backchannel-logout`,
          backchannel_logout_session_required: true,
        },
        {
          client_id: accountClientId(instance.id),
          client_name: `${instance.subdomain} account`,
          application_type: 'web',
          grant_types: [],
          response_types: ['none'],
          token_endpoint_auth_method: 'none',
          redirect_uris: [`${origin}${ACCOUNT_PATH}`],
        },
      ],
      jwks: { keys: keys.keys },
      cookies: { keys: deps.cookieKeys },
      findAccount: async (_ctx, sub) => findAccount(instance, sub),
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', CLAIMS.quota, CLAIMS.storageLabel, CLAIMS.role],
      },
      // The photo app reads the quota, label and role from the ID token as well as from userinfo.
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      scopes: ['openid', 'email', 'profile'],
      responseTypes: ['code', 'none'],
      ttl: {
        AuthorizationCode: 60,
        AccessToken: 10 * 60,
        IdToken: ID_TOKEN_TTL_SECONDS,
        Interaction: 60 * 60,
        Session: deps.sessionTtlSeconds,
        Grant: deps.sessionTtlSeconds,
      },
      // The photo app is the instance's own first-party app: there is nothing to consent to.
      loadExistingGrant: async (ctx) => {
        const clientId = ctx.oidc.client!.clientId;
        const existing = ctx.oidc.session!.grantIdFor(clientId);
        if (existing) {
          const grant = await ctx.oidc.provider.Grant.find(existing);
          if (grant) return grant;
        }
        const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
      interactions: { url: (_ctx, interaction) => `${SIGN_IN_PREFIX}/interaction/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        backchannelLogout: { enabled: true },
        revocation: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => {
            setPageHeaders(ctx);
            ctx.body = renderLogoutPage({ subdomain: instance.subdomain, form });
          },
          postLogoutSuccessSource: async (ctx) => {
            setPageHeaders(ctx);
            ctx.body = renderSignedOutPage({ subdomain: instance.subdomain, origin });
          },
        },
      },
      renderError: async (ctx, out) => {
        setPageHeaders(ctx);
        ctx.type = 'html';
        ctx.body = renderProviderError({ subdomain: instance.subdomain, origin, out });
      },
      fetch: loopbackAwareFetch,
    };
    const provider = new Provider(`${origin}${SIGN_IN_PREFIX}`, configuration);
    provider.proxy = deps.behindProxy;
    provider.on('server_error', (_ctx, err) => deps.log.error({ err, instanceId: instance.id }, 'OIDC provider error'));
    provider.on('backchannel.error', (_client, err) =>
      deps.log.warn({ err, instanceId: instance.id }, 'back-channel logout to the photo app failed'),
    );
    return provider;
  }

  async function findAccount(instance: OidcInstance, sub: string) {
    if (!/^[0-9a-f-]{36}$/i.test(sub)) return undefined;
    const member = await deps.members.members.find(instance.id, sub);
    if (!member || !memberCanSignIn(member)) return undefined;
    return {
      accountId: member.id,
      async claims() {
        // findAccount runs when the token is made, so a first sign-in gets today's rolled-up limit (SPEC I1, M4).
        const found = await deps.members.members.findInstanceBySubdomain(instance.subdomain);
        const limit = found
          ? effectiveLimit(found.planBytes, await deps.members.members.quotaMembers(instance.id), member.id)
          : 0n;
        const m = member;
        return {
          sub: m.id,
          email: m.email,
          email_verified: true,
          name: m.name,
          [CLAIMS.quota]: Number(limit) / GIB,
          ...(m.storageLabel ? { [CLAIMS.storageLabel]: m.storageLabel } : {}),
          [CLAIMS.role]: m.role === 'owner' || m.role === 'admin' ? 'admin' : 'user',
        };
      },
    };
  }

  return {
    originOf,
    clientSecretFor,

    /** The instance a request at `hostname` is for: `<label>.<domain>`, live, or null. */
    async instanceFromHost(hostname: string): Promise<OidcInstance | null> {
      const host = hostname.toLowerCase().replace(/:\d+$/, '');
      const suffix = `.${deps.domain}`;
      if (!host.endsWith(suffix)) return null;
      const subdomain = host.slice(0, -suffix.length);
      if (!/^[a-z0-9-]{1,63}$/.test(subdomain)) return null;
      const found = await deps.members.members.findInstanceBySubdomain(subdomain);
      if (!found || found.state !== 'active') return null;
      return { id: found.id, subdomain: found.subdomain, origin: originOf(found.subdomain) };
    },

    async providerFor(instance: OidcInstance): Promise<Provider> {
      const keys = await keyRing();
      const cached = cache.get(instance.subdomain);
      if (cached && cached.instanceId === instance.id && cached.keyVersion === keys.version) {
        // Most recently used last, so the oldest is the first to go.
        cache.delete(instance.subdomain);
        cache.set(instance.subdomain, cached);
        return cached.provider;
      }
      const provider = await buildProvider(instance, keys);
      cache.set(instance.subdomain, { provider, instanceId: instance.id, keyVersion: keys.version });
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return provider;
    },

    /** Where the account page sends a browser that is not signed in: the provider's sign-in, then back. */
    accountSignInUrl(instance: OidcInstance, state: string): string {
      const query = new URLSearchParams({
        client_id: accountClientId(instance.id),
        response_type: 'none',
        scope: 'openid',
        redirect_uri: `${instance.origin}${ACCOUNT_PATH}`,
        state,
      });
      return `${SIGN_IN_PREFIX}/auth?${query.toString()}`;
    },

    /**
     * The member this browser is signed in as at the instance's provider, as a principal of the device (U4) the
     * sign-in is; null when not signed in, signed out, or the device was revoked.
     */
    async signedIn(instance: OidcInstance, req: IncomingMessage, res: ServerResponse): Promise<MemberPrincipal | null> {
      const provider = await this.providerFor(instance);
      const session = await provider.Session.get(provider.createContext(req, res));
      if (!session.accountId || !session.uid) return null;
      const device = await deps.oidc.devices.findLive(session.uid, now());
      if (!device || device.instanceId !== instance.id || device.memberId !== session.accountId) return null;
      const member = await deps.members.members.find(instance.id, device.memberId);
      if (!member || !memberCanSignIn(member)) return null;
      return { instanceId: instance.id, memberId: device.memberId, sessionId: device.sessionId, apiKeyId: null };
    },

    /** Rotates the signing key now; every provider is rebuilt on the new ring at its next request. */
    async rotateSigningKey(): Promise<string> {
      const kid = await deps.signingKeys.rotate();
      ring = undefined;
      return kid;
    },
  };
}

/** Pages served by the provider itself carry the same strict policy as ours. */
export function setPageHeaders(ctx: KoaContextWithOIDC): void {
  ctx.set('content-security-policy', PAGE_CSP);
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.set('cache-control', 'no-store');
}

export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; " +
  "base-uri 'none'; frame-ancestors 'none'";

export type OidcProviders = ReturnType<typeof createOidcProviders>;
