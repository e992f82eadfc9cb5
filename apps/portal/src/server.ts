// The portal process: configuration, connections, the app, and an orderly shutdown.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPrismaClient } from '@photoplane/db';
import { Client, Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { buildApp, REDACTED_PATHS } from './app.ts';
import { ConfigError, readPortalConfig } from './config.ts';
import { createUnitOfWork } from './repositories/unit-of-work.ts';
import { createMemberUnitOfWork } from './repositories/member-unit-of-work.ts';
import { createFleetMetricsRepository } from './repositories/fleet-metrics.repository.ts';
import { createAccountService } from './services/account.service.ts';
import { createPortalMetrics } from './services/metrics.service.ts';
import { createMemberPasswordResetService } from './services/member-password-reset.service.ts';
import { createCheckoutService } from './services/checkout.service.ts';
import { createInvitationService } from './services/invitation.service.ts';
import { createMailService } from './services/mail.service.ts';
import { createMemberAccountService } from './services/member-account.service.ts';
import { createMemberAuthService } from './services/member-auth.service.ts';
import { createMemberMailService } from './services/member-mail.service.ts';
import { createInstanceQuotaSync, createMemberSync, ensureMemberPurgeSchedule } from './services/member-workflows.ts';
import { createMemberService } from './services/member.service.ts';
import { createPasswordService } from './services/password.service.ts';
import { createPlanService } from './services/plan.service.ts';
import { createEdgeService } from './services/edge.service.ts';
import { createInstanceRepository } from './repositories/instance.repository.ts';
import { createReadinessService } from './services/readiness.service.ts';
import { createSecretBox } from './services/secret-box.ts';
import { createSessionService } from './services/session.service.ts';
import { createStripeClient } from './services/stripe-client.ts';
import { createStripeWebhookService } from './services/stripe-webhook.service.ts';
import { createBillingOutboxHandlers } from './services/billing-outbox.ts';
import { createOutboxDispatcher } from './services/outbox-dispatcher.ts';
import { createStripeObjects } from './services/stripe-objects.ts';
import { createStripeSync } from './services/stripe-sync.service.ts';
import { createOutboxQueue } from './repositories/outbox.repository.ts';
import { createSubscriptionService } from './services/subscription.service.ts';
import { createSubscriptionWorkflows } from './services/subscription-workflows.ts';
import { createInstanceOperations } from './services/instance-operations.ts';
import { createFleetUpgradeControl } from './services/fleet-upgrade-control.ts';
import { createSupportService, STAFF_TOTP_PURPOSE } from './services/support.service.ts';
import { createSupportUnitOfWork } from './repositories/support-unit-of-work.ts';
import { createHmac } from 'node:crypto';
import { createOidcProviders } from './oidc/instance-providers.ts';
import { createSigningKeys } from './oidc/signing-keys.ts';
import { createOidcRepository } from './repositories/oidc.repository.ts';
import { createPhotoAppLogout } from './services/photo-app-logout.service.ts';
import { createTestCheckoutRepository } from './repositories/test-checkout.repository.ts';
import { createTestCheckoutService } from './services/test-checkout.service.ts';
import { secureCookiesFor } from './plugins/web-session.ts';
import { createBackupSupport } from './services/support/backups.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = readPortalConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const prisma = createPrismaClient(config.databaseUrl);
  // Lazy: the portal starts (and reports "Temporal down" on /readyz) even while Temporal is unreachable.
  const temporal = Connection.lazy({ address: config.temporalAddress });
  const readiness = createReadinessService({
    database: () => prisma.$queryRaw`SELECT 1`,
    temporal: () => temporal.workflowService.describeNamespace({ namespace: config.temporalNamespace }),
  });
  // One logger for the app and the services, so background failures (mail delivery) land in the same log.
  const logger = pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
  if (config.jwtSecretGenerated)
    logger.warn('JWT_SECRET is not set: using a random key, so sign-ins end when the portal restarts');
  if (config.totpEncryptionKeyGenerated)
    logger.warn(
      'TOTP_ENCRYPTION_KEY is not set: using a random key, so two-factor set up now stops working at restart',
    );
  // Members' TOTP secrets must be read back to check codes: encrypted, never stored in clear (U6).
  const secretBox = createSecretBox(config.totpEncryptionKey);
  // Staff accounts' TOTP secrets (SPEC A6), under a key of their own derived from the same material.
  const staffTotp = createSecretBox(config.totpEncryptionKey, STAFF_TOTP_PURPOSE);
  const repositories = createUnitOfWork(prisma);
  const passwords = createPasswordService(config.passwordHashing);
  const mail = createMailService({
    transport: nodemailer.createTransport(config.smtpUrl),
    from: config.mailFrom,
    publicUrl: config.publicUrl,
    log: logger,
  });
  const stripe = createStripeClient(config.stripe);
  const plans = createPlanService({ repositories, plans: config.plans });
  // The catalogue in the database follows the configuration. Like the rest of the portal, this does not need the
  // database at the very moment of start: it is retried until it succeeds (checkouts fail until then).
  const syncPlans = async (): Promise<void> => {
    for (;;) {
      try {
        await plans.syncPlans();
        return;
      } catch (e) {
        logger.error({ err: e }, 'could not write the plan catalogue to the database; retrying in 10 s');
        await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      }
    }
  };
  void syncPlans();
  const DAY_MS = 24 * 60 * 60 * 1000;
  const subscriptionTimers = {
    graceMs: config.billing.graceDays * DAY_MS,
    retentionMs: config.billing.retentionDays * DAY_MS,
  };
  const workflows = createSubscriptionWorkflows({
    client: new Client({ connection: temporal, namespace: config.temporalNamespace }),
    taskQueue: config.temporalTaskQueue,
    timers: subscriptionTimers,
  });
  const instances = createInstanceRepository(prisma);
  // Instance members (SPEC M1-M8): invitations through the same relay, the photo app synced through Temporal.
  const memberRepositories = createMemberUnitOfWork(prisma);
  const memberClient = new Client({ connection: temporal, namespace: config.temporalNamespace });
  const memberSync = createMemberSync({ client: memberClient, taskQueue: config.temporalTaskQueue });
  const memberMail = createMemberMailService({
    transport: nodemailer.createTransport(config.smtpUrl),
    from: config.mailFrom,
    instanceUrl: (subdomain) => config.instanceUrlTemplate.replace('{subdomain}', subdomain),
    log: logger,
  });
  // The midnight purge schedule; retried like the plan catalogue, since Temporal may come up after the portal.
  const ensurePurgeSchedule = async (): Promise<void> => {
    for (;;) {
      try {
        await ensureMemberPurgeSchedule({ client: memberClient, taskQueue: config.temporalTaskQueue });
        return;
      } catch (e) {
        logger.error({ err: e }, 'could not create the member purge schedule; retrying in 10 s');
        await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      }
    }
  };
  void ensurePurgeSchedule();
  const members = createMemberService({
    repositories: memberRepositories,
    passwords,
    mail: memberMail,
    sync: memberSync,
    log: logger,
  });
  const accounts = createAccountService({ repositories, passwords, mail });
  const support = createSupportService({
    repositories: createSupportUnitOfWork(prisma),
    members,
    passwords,
    operations: createInstanceOperations({
      client: memberClient,
      taskQueue: config.temporalTaskQueue,
      timers: subscriptionTimers,
      subscriptionOf: (instanceId) => instances.findSubscriptionId(instanceId),
    }),
    fleet: createFleetUpgradeControl({ client: memberClient, taskQueue: config.temporalTaskQueue }),
    staffTotp,
  });
  if (config.oidc.secretKeyGenerated)
    logger.warn('OIDC_SECRET_KEY is not set: using a random key, so photo-app sign-ins end when the portal restarts');
  // The OpenID provider of every instance (SPEC I1) and the loop that carries revocations to the photo apps.
  const oidcRepository = createOidcRepository(prisma);
  const derive = (purpose: string) => createHmac('sha256', config.oidc.secretKey).update(purpose).digest('base64url');
  const providers = createOidcProviders({
    members: memberRepositories,
    oidc: oidcRepository,
    signingKeys: createSigningKeys({
      repository: oidcRepository.signingKeys,
      box: createSecretBox(config.oidc.secretKey, 'photoplane/oidc-signing-keys/v1'),
      retainRetiredMs: 24 * 60 * 60 * 1000,
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
  photoAppLogout.start();
  const oidcHousekeeping = setInterval(() => {
    oidcRepository.deleteExpired(new Date()).catch((err: unknown) => logger.warn({ err }, 'OIDC housekeeping failed'));
  }, 10 * 60_000).unref();
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
  // applied, signals to the subscription workflows, prices put back, quota refreshes.
  const outbox = createOutboxDispatcher({
    queue: createOutboxQueue(prisma),
    handlers: createBillingOutboxHandlers({
      sync: createStripeSync({
        repositories,
        plans,
        objects: createStripeObjects(stripe, testCheckout?.objects),
      }),
      stripe,
      workflows,
      quotas: createInstanceQuotaSync({ client: memberClient, taskQueue: config.temporalTaskQueue }),
    }),
    log: logger,
  });
  outbox.start();
  const app = await buildApp({
    services: {
      ...(testCheckout ? { testCheckout } : {}),
      readiness,
      plans,
      checkout: createCheckoutService({
        repositories,
        plans,
        stripe,
        publicUrl: config.publicUrl,
        checkoutHoldMinutes: config.billing.checkoutHoldMinutes,
        ...(testMode
          ? { testCheckoutUrl: (id: string) => `${config.publicUrl}/test-checkout?subscription=${id}` }
          : {}),
      }),
      subscriptions: createSubscriptionService({
        repositories,
        stripe,
        publicUrl: config.publicUrl,
        domain: config.domain,
        instanceUrl: (subdomain) => config.instanceUrlTemplate.replace('{subdomain}', subdomain),
      }),
      webhooks: createStripeWebhookService({
        repositories,
        stripe,
        webhookSecret: config.stripe.webhookSecret,
        queued: () => outbox.nudge(),
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
      }),
      members,
      support,
      backups: createBackupSupport({
        repositories: createSupportUnitOfWork(prisma),
        db: prisma,
        client: memberClient,
        taskQueue: config.temporalTaskQueue,
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
    },
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
    publicRateLimit: { max: config.unauthenticatedRequestsPerMinute, timeWindowMs: 60_000 },
    hashing: { full: () => passwords.hashingFull() },
    web: {
      distDir: fileURLToPath(new URL('../../web/dist', import.meta.url)),
      secureCookies: secureCookiesFor(config.publicUrl),
      domain: config.domain,
    },
  });
  const close = async () => {
    clearInterval(oidcHousekeeping);
    await photoAppLogout.stop();
    await app.close();
    await outbox.stop();
    await mail.close();
    await memberMail.close();
    await temporal.close();
    await prisma.$disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await app.listen({ host: config.host, port: config.port });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`portal failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
