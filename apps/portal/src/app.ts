// The portal's plugin tree: external plugins, then our decorators, then routes (fastify/demo's order).
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import authPlugin, { type AccessTokenOptions } from './identity/auth.plugin.ts';
import { createMethodMap, documentSharedStatuses } from './platform/api-contract.ts';
import errorHandler, { clientProblem, routerProblem } from './platform/error-handler.ts';
import { ajvOptions, buildValidator } from './platform/validation.ts';
import { HashingBusyError } from './platform/hashing-queue.ts';
import memberAuthPlugin from './members/member-auth.plugin.ts';
import metricsPlugin from './platform/metrics.plugin.ts';
import type { LoginRateLimit } from './platform/login-throttle.ts';
import authRoutes from './identity/auth.routes.ts';
import billingRoutes from './billing/billing.routes.ts';
import edgeRoutes from './edge/edge.routes.ts';
import healthRoutes from './platform/health.routes.ts';
import instanceAuthRoutes from './members/instance-auth.routes.ts';
import instanceSignInRoutes from './instance-sign-in/sign-in.routes.ts';
import memberAccountRoutes from './members/member-account.routes.ts';
import memberRoutes from './members/members.routes.ts';
import stripeWebhookRoutes from './billing/stripe-webhook.routes.ts';
import supportRoutes from './support/support.routes.ts';
import backupRoutes from './support/backups.routes.ts';
import linkBlockRoutes from './support/links.routes.ts';
import linkCheckRoutes from './edge/link-check.routes.ts';
import exportRoutes from './exports/export.routes.ts';
import type { ExportService } from './exports/export.service.ts';
import type { BackupSupport } from './support/backups.service.ts';
import type { LinkBlockSupport } from './support/link-blocks.service.ts';
import type { LinkCheck } from './edge/link-check.service.ts';
import fleetRoutes from './support/fleet.routes.ts';
import testCheckoutRoutes from './billing/test-checkout.routes.ts';
import webAppRoutes from './platform/web-app.routes.ts';
import webSessionRoutes from './identity/web-session.routes.ts';
import { Problem } from './platform/problem.schema.ts';
import type { AccountService } from './identity/account.service.ts';
import type { CheckoutService } from './billing/checkout.service.ts';
import type { EdgeService } from './edge/edge.service.ts';
import type { InvitationService } from './members/invitation.service.ts';
import type { PortalMetrics } from './platform/metrics.service.ts';
import type { MemberPasswordResetService } from './members/member-password-reset.service.ts';
import type { MemberAccountService } from './members/member-account.service.ts';
import type { MemberAuthService } from './members/member-auth.service.ts';
import type { OidcProviders } from './instance-sign-in/instance-providers.ts';
import type { MemberService } from './members/member.service.ts';
import type { PlanService } from './billing/plan.service.ts';
import type { ReadinessService } from './platform/readiness.service.ts';
import type { SessionService } from './identity/session.service.ts';
import type { StripeWebhookService } from './billing/stripe-webhook.service.ts';
import type { SubscriptionService } from './billing/subscription.service.ts';
import type { SupportService } from './support/support.service.ts';
import type { TestCheckoutService } from './billing/test-checkout.service.ts';

/** Every service the routes call; built in one place, portal.ts (createPortal). */
export interface Services {
  readiness: ReadinessService;
  accounts: AccountService;
  sessions: SessionService;
  /** Billing (SPEC P3-P9). */
  plans: PlanService;
  checkout: CheckoutService;
  subscriptions: SubscriptionService;
  /** Stripe's webhook endpoint; needs no signed-in user. */
  webhooks: StripeWebhookService;
  /** Instance members (SPEC M1-M8) and member sign-in. */
  members: MemberService;
  invitations: InvitationService;
  memberAuth: MemberAuthService;
  /** A member's own account (SPEC U1-U6) under /v1/instances/{sub}/me. */
  memberAccount: MemberAccountService;
  /** The edge's on-demand TLS "ask" endpoint (SPEC V6). */
  edge: EdgeService;
  /**
   * The OpenID provider of every instance and its sign-in pages under `/photoplane` (SPEC I1). `secretKey` is
   * OIDC_SECRET_KEY.
   */
  signIn: {
    providers: OidcProviders;
    secretKey: string;
    /** The portal's address: the owner changes their password there (their portal account's). */
    portalUrl: string;
    /** "Forgot password" at the instance's address (issue 10). */
    passwordResets: MemberPasswordResetService;
  };
  /** The support API for staff (SPEC A1-A5). */
  support: SupportService;
  /** The support API's backups and restores (SPEC F1). */
  backups: BackupSupport;
  /**
   * Shared links taken down at the edge (issue 14): support's blocks, and the edge's check on every link visit
   * (`portalUrl` is named in a 451's `Link: rel="blocked-by"`).
   */
  links: { support: LinkBlockSupport; check: LinkCheck; portalUrl: string };
  /** The owner's export of their library and its download link (SPEC F1). */
  exports: ExportService;
  /** Prometheus metrics at `/metrics` and the request timing hook (issue 15). */
  metrics: { metrics: PortalMetrics; token: string | undefined };
  /** Test mode only (Stripe is stripe-mock): the portal's own payment page and simulated Stripe events (W1). */
  testCheckout?: TestCheckoutService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
  interface FastifyContextConfig {
    /**
     * A server-rendered form page (the instance's sign-in pages): a refusal by a rate limiter (429) or by the
     * hashing queue (503) is answered by this page, with Retry-After, instead of problem+json (error-handler.ts).
     */
    formPage?: (request: FastifyRequest, reply: FastifyReply, status: number, message: string) => unknown;
    /**
     * Needs a signed-in session cookie (the member's account pages): not an unauthenticated route, so the public
     * limiter leaves it alone; guesses at secrets there have their own per-member limit.
     */
    signedIn?: boolean;
  }
}

export interface AppOptions {
  services: Services;
  logger?: FastifyServerOptions['logger'];
  /** A ready-made pino logger instead of `logger` options, when the services log through the same one. */
  loggerInstance?: FastifyBaseLogger;
  bodyLimit?: number;
  /** Proxies whose X-Forwarded-For names the client (see PortalConfig.trustProxy); none by default. */
  trustProxy?: string[];
  accessTokens: AccessTokenOptions;
  /** Defaults to 10 sign-in attempts per (client address, account) a minute; see platform/login-throttle.ts. */
  loginRateLimit?: LoginRateLimit;
  /**
   * Requests per window to each unauthenticated route that changes or checks something (sign-up, e-mail
   * verification, password reset, registration, sign-in, refresh), per client address. None when absent (tests
   * that make many requests from one address); the server always sets it (UNAUTHENTICATED_REQUESTS_PER_MINUTE).
   */
  publicRateLimit?: { max: number; timeWindowMs: number };
  /**
   * The password hashing queue: while it is full, unauthenticated requests that act are refused with 503 before
   * their body is read or the database asked (the hash they would queue for would be refused anyway).
   */
  hashing?: { full(): boolean };
  /** The web portal (SPEC W1): its cookie session and, when `distDir` is given, the built app served at `/`. */
  web?: { distDir?: string; secureCookies: boolean; domain: string };
  /**
   * Resolves once every portal process has heard of every change committed before the call (the change feed's
   * barrier). A request that may have changed something answers only after it, so the client that made a change
   * never reads a remembered view from before it, whichever process answers next (issue 18).
   */
  changesSeen?: () => Promise<void>;
}

const isPlainRead = (method: string) => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/**
 * A route anyone may call that does work: not a plain read (GET/HEAD/OPTIONS), no `security` in its schema (so no
 * bearer token or API key is needed). Left out: Stripe's webhook (Stripe's servers, checked by signature, retried
 * by Stripe when refused) and the instances' OpenID provider endpoints (`/photoplane/*`: the photo app's server
 * calls its token endpoint; browsers reach the sign-in forms, which are limited).
 */
function isPublicAction(route: RouteOptions): boolean {
  if (route.config?.signedIn) return false;
  const methods = [route.method].flat();
  if (methods.every(isPlainRead)) return false;
  if (route.url.endsWith('*') || route.url === '/v1/stripe/webhook') return false;
  return !(route.schema as { security?: unknown } | undefined)?.security;
}

/**
 * A request's URL for the log, with the secret of a mailed download link (`/v1/exports/<token>`) masked: the link's
 * token is the credential, and a log line must not be one.
 */
export function urlForLog(url: string | undefined): string | undefined {
  return url?.replace(/^(\/v1\/exports\/)[^/?#]+/, '$1[redacted]');
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.totpCode',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
  '*.secret',
];

export async function buildApp(opts: AppOptions) {
  const app = Fastify({
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    ...(opts.trustProxy?.length ? { trustProxy: opts.trustProxy } : {}),
    frameworkErrors: routerProblem,
    clientErrorHandler: clientProblem,
    // Exact bodies, coerced query and path text, parseEmail as `format: 'email'`, no U+0000 (platform/validation.ts).
    ajv: ajvOptions,
    schemaController: { compilersFactory: { buildValidator: buildValidator() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // First, so that every route (the document's own included) is in the method map and documents what it answers.
  const methods = createMethodMap();
  app.addHook('onRoute', (route) => {
    methods.add(route);
    documentSharedStatuses(route, { isPublicAction });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Photoplane portal API',
        version: '0.1.0',
        description: 'Customers, instances, members and support.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Added before the rate-limit plugin so that its own onRoute hook, which runs after this one, sees the config.
  if (opts.publicRateLimit) {
    const { max, timeWindowMs } = opts.publicRateLimit;
    app.addHook('onRoute', (route) => {
      if (isPublicAction(route)) route.config = { ...route.config, rateLimit: { max, timeWindow: timeWindowMs } };
    });
  }
  // Only where a route asks for it (the public routes above, the sign-in throttles); nothing else is limited.
  if (opts.hashing) {
    const { hashing } = opts;
    const shed = async () => {
      if (hashing.full()) throw new HashingBusyError();
    };
    app.addHook('onRoute', (route) => {
      if (isPublicAction(route)) route.onRequest = [...[route.onRequest ?? []].flat(), shed];
    });
  }
  await app.register(rateLimit, { global: false });

  app.addSchema(Problem);
  app.decorate('services', opts.services);
  await app.register(errorHandler, { methods });
  const { services } = opts;
  // Before every route, so that each one is timed.
  await app.register(metricsPlugin, services.metrics);
  if (opts.changesSeen) {
    const { changesSeen } = opts;
    const seen = async (_request: unknown, reply: { statusCode: number }, payload: unknown) => {
      if (reply.statusCode < 400) await changesSeen();
      return payload;
    };
    // On the routes that may change something only (a plain read pays nothing). Not on Stripe's webhook: its caller
    // never reads a view, and what it changes is read after the outbox's sync.
    app.addHook('onRoute', (route) => {
      if ([route.method].flat().every(isPlainRead) || route.url === '/v1/stripe/webhook') return;
      route.onSend = [...[route.onSend ?? []].flat(), seen];
    });
  }

  const { accounts, sessions, members, invitations, memberAuth, memberAccount } = services;
  const loginRateLimit = opts.loginRateLimit ?? { max: 10, timeWindowMs: 60_000 };
  await app.register(authPlugin, { ...opts.accessTokens, sessions });
  await app.register(healthRoutes);
  await app.register(authRoutes, { accounts, sessions, loginRateLimit });
  await app.register(billingRoutes, {
    plans: services.plans,
    checkout: services.checkout,
    subscriptions: services.subscriptions,
  });
  await app.register(stripeWebhookRoutes, { webhooks: services.webhooks, metrics: services.metrics.metrics });
  await app.register(edgeRoutes, { edge: services.edge });
  await app.register(linkCheckRoutes, { links: services.links.check, portalUrl: services.links.portalUrl });
  await app.register(memberAuthPlugin, {
    memberAuth,
    ttlSeconds: opts.accessTokens.ttlSeconds,
    guessLimit: loginRateLimit,
  });
  await app.register(memberRoutes, { members, invitations });
  await app.register(exportRoutes, { exports: services.exports });
  await app.register(instanceAuthRoutes, { memberAuth, loginRateLimit });
  await app.register(instanceSignInRoutes, {
    ...services.signIn,
    memberAccount,
    memberAuth,
    invitations,
    loginRateLimit,
  });
  await app.register(memberAccountRoutes, { memberAuth, memberAccount });
  await app.register(supportRoutes, { support: services.support });
  await app.register(backupRoutes, { support: services.support, backups: services.backups });
  await app.register(linkBlockRoutes, { support: services.support, links: services.links.support });
  await app.register(fleetRoutes, { support: services.support });
  if (opts.web) {
    await app.register(webSessionRoutes, {
      accounts,
      sessions,
      loginRateLimit,
      cookies: { secure: opts.web.secureCookies },
      testCheckout: Boolean(services.testCheckout),
      domain: opts.web.domain,
    });
    if (services.testCheckout) await app.register(testCheckoutRoutes, { testCheckout: services.testCheckout });
    if (opts.web.distDir) await app.register(webAppRoutes, { distDir: opts.web.distDir });
  }
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
