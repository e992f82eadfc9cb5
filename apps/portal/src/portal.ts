// The portal's one composition root: every repository, service and background loop, wired from the configuration.
// server.ts calls it with the real connections; tests call it too and replace only ports (the workflow starter,
// the photo-app sync, mail, Stripe), never whole services, so a test runs the same wiring as production.
import { createHmac } from 'node:crypto';
import type { PrismaClient } from '@photoplane/db';
import type { SubscriptionTimers } from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import nodemailer from 'nodemailer';
import { buildApp, type App, type AppOptions, type Services } from './app.ts';
import type { PortalConfig } from './config.ts';
import { createOidcProviders } from './instance-sign-in/instance-providers.ts';
import { createSigningKeys } from './instance-sign-in/signing-keys.ts';
import { secureCookiesFor } from './identity/web-session.plugin.ts';
import { createOidcRepository } from './instance-sign-in/oidc.repository.ts';
import { createFleetMetricsRepository } from './platform/fleet-metrics.repository.ts';
import { createInstanceRepository } from './edge/instance.repository.ts';
import { createOutboxQueue } from './billing/outbox.repository.ts';
import { createTestCheckoutRepository } from './billing/test-checkout.repository.ts';
import { createMemberUnitOfWork, createSupportUnitOfWork, createUnitOfWork } from './platform/data/unit-of-work.ts';
import { createAccountService } from './identity/account.service.ts';
import { createPreparedSql } from './platform/data/prepared.ts';
import { createSessionLivenessCache, type SessionLivenessCache } from './identity/session-liveness-cache.ts';
import { createChangeFeed } from './platform/data/change-feed.ts';
import { createViewCache, uncachedViews, type ViewCache } from './platform/data/view-cache.ts';
import { createBillingOutboxHandlers } from './billing/billing-outbox.ts';
import { createCheckoutService } from './billing/checkout.service.ts';
import { createEdgeService } from './edge/edge.service.ts';
import {
  createInstanceOperations,
  createStaffOperationHandlers,
  type InstanceOperations,
} from './support/instance-operations.ts';
import { createFleetUpgradeControl, type FleetUpgradeControl } from './support/fleet-upgrade-control.ts';
import { createBackupSupport } from './support/backups.service.ts';
import { createLinkBlockSupport } from './support/link-blocks.service.ts';
import { createLinkCheck } from './edge/link-check.service.ts';
import { createLinkBlockRepository } from './edge/link-block.repository.ts';
import { createInvitationService } from './members/invitation.service.ts';
import { createMailService } from './platform/mail.service.ts';
import { createMemberAccountService } from './members/member-account.service.ts';
import { createMemberAuthService } from './members/member-auth.service.ts';
import { createMemberMailService } from './members/member-mail.service.ts';
import { createMemberPasswordResetService } from './members/member-password-reset.service.ts';
import {
  createInstanceQuotaSync,
  createMemberSync,
  ensureMemberPurgeSchedule,
  type InstanceQuotaSync,
  type MemberSync,
} from './members/member-workflows.ts';
import { createExportService, createTemporalExportStarter, type ExportStarter } from './exports/export.service.ts';
import { createMemberService } from './members/member.service.ts';
import { createPortalMetrics } from './platform/metrics.service.ts';
import {
  createOutboxDispatcher,
  type OutboxDispatcher,
  type OutboxDispatcherOptions,
} from './billing/outbox-dispatcher.ts';
import { createPasswordService } from './platform/password.service.ts';
import { createPhotoAppLogout, type PhotoAppLogout } from './members/photo-app-logout.service.ts';
import { createPlanService } from './billing/plan.service.ts';
import { createReadinessService, type ReadinessService } from './platform/readiness.service.ts';
import { createSecretBox } from './platform/secret-box.ts';
import { createSessionService } from './identity/session.service.ts';
import { createStripeClient, type Stripe } from './billing/stripe-client.ts';
import { createStripeObjects } from './billing/stripe-objects.ts';
import { createStripeSync } from './billing/stripe-sync.service.ts';
import { createStripeWebhookService } from './billing/stripe-webhook.service.ts';
import { createSubscriptionWorkflows, type SubscriptionWorkflows } from './billing/subscription-workflows.ts';
import { createSubscriptionService } from './billing/subscription.service.ts';
import { createSupportService, STAFF_TOTP_PURPOSE } from './support/support.service.ts';
import { createTestCheckoutService } from './billing/test-checkout.service.ts';
import type { MailService } from './platform/mail.service.ts';
import type { MemberMailService } from './members/member-mail.service.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the portal runs on: its configuration, its database and its log. */
export interface PortalDeps {
  config: PortalConfig;
  prisma: PrismaClient;
  logger: FastifyBaseLogger;
  /** The built web app to serve at `/` (SPEC W1); not served when absent. */
  webDistDir?: string;
}

/** The ports a test may replace; each defaults to the real adapter built from the configuration. */
export interface PortalOverrides {
  /** The Temporal client every workflow is started with (default: a lazy connection to TEMPORAL_ADDRESS). */
  temporal?: Client;
  /** Readiness checks (default: the database and Temporal). */
  readiness?: ReadinessService;
  /** Workflow starters: the subscription workflows' signals, support's operations, member and quota syncs. */
  subscriptionWorkflows?: SubscriptionWorkflows;
  instanceOperations?: InstanceOperations;
  /** Fleet upgrades (SPEC F3): starts and steers the rollout workflow. */
  fleet?: FleetUpgradeControl;
  /** Where backup and restore workflows are started (SPEC F1; default: the Temporal client and task queue). */
  backupWorkflows?: { client: Client; taskQueue: string };
  /** Where the owners' export workflows are started (SPEC F1; default: the Temporal client and task queue). */
  exportStarter?: ExportStarter;
  memberSync?: MemberSync;
  quotaSync?: InstanceQuotaSync;
  /** The subscription workflow's timers (default: BILLING_GRACE_DAYS and BILLING_RETENTION_DAYS). */
  subscriptionTimers?: SubscriptionTimers;
  /** Mail: the SMTP transport every e-mail leaves through (default: SMTP_URL). */
  mailTransport?: MailServiceTransport;
  /** Stripe's API (default: STRIPE_SECRET_KEY at STRIPE_API_URL). */
  stripe?: Stripe;
  /** The checkout service's clock. */
  now?: () => Date;
  /** The outbox dispatcher's timings. */
  outbox?: Pick<OutboxDispatcherOptions, 'pollMs' | 'backoffMs' | 'maxBackoffMs' | 'leaseMs'>;
  /** Per-address limit of public actions; `null` lifts it (tests making many requests from one address). */
  publicRateLimit?: AppOptions['publicRateLimit'] | null;
  /** `false` reads every signed-in view from the database each time (the portal-reads bench's baseline). */
  viewCache?: false;
  /** `false` only in the webhook bench's baseline: Stripe event ids are then not recorded (no deduplication). */
  webhookDedupe?: false;
  /** Refusing public actions while the hashing queue is full (default on); `null` turns it off (the flood bench). */
  hashing?: AppOptions['hashing'] | null;
}

type MailServiceTransport = Parameters<typeof createMailService>[0]['transport'];

export interface Portal {
  app: App;
  services: Services;
  outbox: OutboxDispatcher;
  photoAppLogout: PhotoAppLogout;
  /** The e-mail senders, for a test to `flush()` what is in flight. */
  mail: MailService;
  memberMail: MemberMailService;
  /** Sign-ins this process knows to be live (issue 18): `listening` says whether the cache is in use. */
  sessionLiveness: SessionLivenessCache;
  /** The signed-in views this process remembers (issue 18). */
  views: ViewCache;
  /** Starts the background work: plan catalogue and purge schedule (retried), outbox, logout loop, housekeeping. */
  start(): void;
  /** Stops everything createPortal made (not the database client or logger it was given). */
  close(): Promise<void>;
}

/** Runs `task` until it succeeds, every 10 s, logging each failure; for start-up work that may wait for a peer. */
function retryInBackground(
  what: string,
  task: () => Promise<void>,
  log: FastifyBaseLogger,
  stopped: () => boolean,
): void {
  void (async () => {
    while (!stopped()) {
      try {
        await task();
        return;
      } catch (err) {
        log.error({ err }, `could not ${what}; retrying in 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      }
    }
  })();
}

export async function createPortal(deps: PortalDeps, overrides: PortalOverrides = {}): Promise<Portal> {
  const { config, prisma, logger } = deps;
  // Lazy: the portal starts (and reports "Temporal down" on /readyz) even while Temporal is unreachable.
  const connection = overrides.temporal ? undefined : Connection.lazy({ address: config.temporalAddress });
  const temporal = overrides.temporal ?? new Client({ connection: connection!, namespace: config.temporalNamespace });
  const taskQueue = config.temporalTaskQueue;
  const readiness =
    overrides.readiness ??
    createReadinessService({
      database: () => prisma.$queryRaw`SELECT 1`,
      temporal: () => temporal.connection.workflowService.describeNamespace({ namespace: config.temporalNamespace }),
    });

  // Members' TOTP secrets must be read back to check codes: encrypted, never stored in clear (U6).
  const secretBox = createSecretBox(config.totpEncryptionKey);
  // Staff accounts' TOTP secrets (SPEC A6), under a key of their own derived from the same material.
  const staffTotp = createSecretBox(config.totpEncryptionKey, STAFF_TOTP_PURPOSE);
  // The hot reads' own pool of prepared statements (issue 18); everything else goes through Prisma.
  const prepared = createPreparedSql(config.databaseUrl);
  // One LISTEN connection telling this process, at commit, of the sign-ins ended and the rows its remembered views
  // were read from changed, by any process (issue 18).
  const feed = createChangeFeed({ databaseUrl: config.databaseUrl, log: logger });
  const liveness = createSessionLivenessCache({ feed });
  const views = overrides.viewCache === false ? uncachedViews : createViewCache({ feed });
  const repositories = createUnitOfWork(prisma, prepared);
  const memberRepositories = createMemberUnitOfWork(prisma, prepared);
  const instances = createInstanceRepository(prisma);
  const passwords = createPasswordService(config.passwordHashing);
  const instanceUrl = (subdomain: string) => config.instanceUrlTemplate.replace('{subdomain}', subdomain);

  // One SMTP transport for every e-mail the portal sends.
  const transport = overrides.mailTransport ?? nodemailer.createTransport(config.smtpUrl);
  const mail: MailService = createMailService({
    transport,
    from: config.mailFrom,
    publicUrl: config.publicUrl,
    log: logger,
  });
  const memberMail: MemberMailService = createMemberMailService({
    transport,
    from: config.mailFrom,
    instanceUrl,
    log: logger,
  });

  const stripe = overrides.stripe ?? createStripeClient(config.stripe);
  const plans = createPlanService({ repositories, plans: config.plans });
  const subscriptionTimers = overrides.subscriptionTimers ?? {
    graceMs: config.billing.graceDays * DAY_MS,
    retentionMs: config.billing.retentionDays * DAY_MS,
  };
  const subscriptionWorkflows =
    overrides.subscriptionWorkflows ??
    createSubscriptionWorkflows({ client: temporal, taskQueue, timers: subscriptionTimers });
  const memberSync = overrides.memberSync ?? createMemberSync({ client: temporal, taskQueue });
  const quotaSync = overrides.quotaSync ?? createInstanceQuotaSync({ client: temporal, taskQueue });
  const instanceOperations =
    overrides.instanceOperations ??
    createInstanceOperations({
      client: temporal,
      taskQueue,
      timers: subscriptionTimers,
      subscriptionOf: (instanceId) => instances.findSubscriptionId(instanceId),
    });

  // Instance members (SPEC M1-M8): invitations through the same relay, the photo app synced through Temporal.
  const members = createMemberService({
    repositories: memberRepositories,
    passwords,
    mail: memberMail,
    sync: memberSync,
    log: logger,
    views,
  });
  const accounts = createAccountService({
    repositories,
    passwords,
    mail,
    sessionsEnded: () => liveness.barrier(),
    views,
  });
  const support = createSupportService({
    repositories: createSupportUnitOfWork(prisma),
    members,
    passwords,
    queued: () => outbox.nudge(),
    fleet: overrides.fleet ?? createFleetUpgradeControl({ client: temporal, taskQueue }),
    staffTotp,
    sessionsEnded: () => liveness.barrier(),
  });

  // The OpenID provider of every instance (SPEC I1) and the loop that carries revocations to the photo apps.
  const derive = (purpose: string) => createHmac('sha256', config.oidc.secretKey).update(purpose).digest('base64url');
  const oidcRepository = createOidcRepository(prisma);
  const providers = createOidcProviders({
    members: memberRepositories,
    oidc: oidcRepository,
    signingKeys: createSigningKeys({
      repository: oidcRepository.signingKeys,
      box: createSecretBox(config.oidc.secretKey, 'photoplane/oidc-signing-keys/v1'),
      retainRetiredMs: DAY_MS,
    }),
    instanceUrlTemplate: config.instanceUrlTemplate,
    domain: config.domain,
    cookieKeys: [derive('photoplane/oidc-cookies/v1')],
    clientSecretKey: config.oidc.clientSecretKey,
    sessionTtlSeconds: config.refreshTokenTtlSeconds,
    behindProxy: config.trustProxy.length > 0,
    log: logger,
  });
  const photoAppLogout = createPhotoAppLogout({ oidc: oidcRepository, providers, log: logger });

  // Test mode (W1): Stripe is stripe-mock, which has no payment page and sends no webhooks, so the portal offers
  // its own. Never with a live key or Stripe's own API.
  const testMode = config.stripe.apiUrl !== undefined && config.stripe.secretKey.startsWith('sk_test_');
  const testCheckout = testMode
    ? createTestCheckoutService({
        repository: createTestCheckoutRepository(prisma),
        stripe,
        webhookSecret: config.stripe.webhookSecret,
      })
    : undefined;
  // Effects on Stripe and Temporal after their transaction committed (issue 13): Stripe's objects re-read and
  // applied, signals to the subscription workflows (billing's and support's), prices put back, quota refreshes.
  const outbox = createOutboxDispatcher({
    queue: createOutboxQueue(prisma),
    handlers: {
      ...createBillingOutboxHandlers({
        sync: createStripeSync({ repositories, plans, objects: createStripeObjects(stripe, testCheckout?.objects) }),
        stripe,
        workflows: subscriptionWorkflows,
        quotas: quotaSync,
      }),
      ...createStaffOperationHandlers(instanceOperations),
    },
    log: logger,
    ...overrides.outbox,
  });

  const services: Services = {
    ...(testCheckout ? { testCheckout } : {}),
    readiness,
    plans,
    checkout: createCheckoutService({
      repositories,
      plans,
      stripe,
      publicUrl: config.publicUrl,
      checkoutHoldMinutes: config.billing.checkoutHoldMinutes,
      ...(overrides.now ? { now: overrides.now } : {}),
      ...(testMode ? { testCheckoutUrl: (id: string) => `${config.publicUrl}/test-checkout?subscription=${id}` } : {}),
    }),
    subscriptions: createSubscriptionService({
      repositories,
      stripe,
      publicUrl: config.publicUrl,
      domain: config.domain,
      instanceUrl,
      views,
    }),
    webhooks: createStripeWebhookService({
      repositories,
      stripe,
      webhookSecret: config.stripe.webhookSecret,
      queued: () => outbox.nudge(),
      ...(overrides.webhookDedupe === false ? { dedupe: false } : {}),
    }),
    accounts,
    metrics: {
      metrics: createPortalMetrics({ fleet: createFleetMetricsRepository(prisma), log: logger }),
      token: config.metricsToken,
    },
    edge: createEdgeService({ instances, domain: config.domain }),
    sessions: createSessionService({
      repositories,
      passwords,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      staff: { totp: staffTotp, sessionTtlSeconds: config.staffSessionTtlSeconds },
      liveness,
    }),
    members,
    support,
    backups: createBackupSupport({
      repositories: createSupportUnitOfWork(prisma),
      db: prisma,
      ...(overrides.backupWorkflows ?? { client: temporal, taskQueue }),
    }),
    links: {
      support: createLinkBlockSupport({
        repositories: createSupportUnitOfWork(prisma),
        domain: config.domain,
        mail,
        ...(overrides.now ? { now: overrides.now } : {}),
      }),
      check: createLinkCheck({
        linkBlocks: createLinkBlockRepository(prisma),
        domain: config.domain,
        mail,
      }),
      portalUrl: config.publicUrl,
    },
    exports: createExportService({
      db: prisma,
      exportDir: config.exportDir,
      starter: overrides.exportStarter ?? createTemporalExportStarter({ client: temporal, taskQueue }),
    }),
    invitations: createInvitationService({
      repositories: memberRepositories,
      passwords,
      sync: memberSync,
      log: logger,
    }),
    memberAuth: createMemberAuthService({
      repositories: memberRepositories,
      passwords,
      secretBox,
      sessionTtlSeconds: config.refreshTokenTtlSeconds,
    }),
    signIn: {
      providers,
      secretKey: config.oidc.secretKey,
      portalUrl: config.publicUrl,
      passwordResets: createMemberPasswordResetService({
        repositories: memberRepositories,
        passwords,
        mail: memberMail,
        requestOwnerReset: (email) => accounts.requestPasswordReset(email),
      }),
    },
    memberAccount: createMemberAccountService({
      repositories: memberRepositories,
      secretBox,
      sync: memberSync,
      log: logger,
      domain: config.domain,
    }),
  };

  const publicRateLimit =
    overrides.publicRateLimit === null
      ? undefined
      : (overrides.publicRateLimit ?? { max: config.unauthenticatedRequestsPerMinute, timeWindowMs: 60_000 });
  const app = await buildApp({
    services,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    loggerInstance: logger,
    accessTokens: {
      secret: config.jwtSecret,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ttlSeconds: config.accessTokenTtlSeconds,
    },
    loginRateLimit: {
      max: config.loginAttemptsPerMinute,
      perAddressMax: config.loginAttemptsPerAddressPerMinute,
      accountDelayMs: config.loginAccountDelayMs,
      timeWindowMs: 60_000,
    },
    ...(publicRateLimit ? { publicRateLimit } : {}),
    ...(overrides.hashing === null ? {} : { hashing: overrides.hashing ?? { full: () => passwords.hashingFull() } }),
    web: {
      ...(deps.webDistDir ? { distDir: deps.webDistDir } : {}),
      secureCookies: secureCookiesFor(config.publicUrl),
      domain: config.domain,
    },
    ...(views === uncachedViews ? {} : { changesSeen: () => feed.barrier() }),
  });

  let stopped = false;
  let housekeeping: NodeJS.Timeout | undefined;
  return {
    app,
    services,
    outbox,
    photoAppLogout,
    mail,
    memberMail,
    sessionLiveness: liveness,
    views,
    start() {
      // The catalogue in the database follows the configuration, and the midnight purge schedule exists. Neither
      // needs its peer at the moment of start: both are retried until they succeed (checkouts fail until then).
      retryInBackground(
        'write the plan catalogue to the database',
        () => plans.syncPlans(),
        logger,
        () => stopped,
      );
      retryInBackground(
        'create the member purge schedule',
        () => ensureMemberPurgeSchedule({ client: temporal, taskQueue }),
        logger,
        () => stopped,
      );
      photoAppLogout.start();
      housekeeping = setInterval(() => {
        oidcRepository
          .deleteExpired(new Date())
          .catch((err: unknown) => logger.warn({ err }, 'OIDC housekeeping failed'));
      }, 10 * 60_000).unref();
      outbox.start();
    },
    async close() {
      stopped = true;
      clearInterval(housekeeping);
      await photoAppLogout.stop();
      await app.close();
      await outbox.stop();
      await mail.close();
      await memberMail.close();
      await connection?.close();
      await feed.close();
      await prepared.close();
    },
  };
}
