// Activities of the provisioning saga that are not bound to a Docker host: the instance's row in the database,
// placement on a host, the owner in the photo app, and the route at the edge. Each one is idempotent, so a retry
// or a replay after a worker crash converges instead of duplicating.
import { recordAudit, type PrismaClient } from '@photoplane/db';
import { normaliseEmail, transitionInstance, type InstanceState } from '@photoplane/tenant-model';
import type { CaddyEdge } from '../edge/index.ts';
import { instanceIssuer, instanceOrigin } from '../instance-url.ts';
import { ensureControlPlaneConfig, type PhotoApp } from '../photo-app/index.ts';
import type { Mailer } from '../mail.ts';
import type { Secrets } from '../secrets.ts';
import { hostTaskQueue, type ProvisionStep } from '../contracts/index.ts';
import { withPermanentErrors } from './errors.ts';

export interface InstanceActivityDeps {
  prisma: PrismaClient;
  edge: CaddyEdge;
  secrets: Secrets;
  /** The photo app of an instance, reached at its published port on the host. */
  photoApp: (baseUrl: string, credentials?: { apiKey: string } | { accessToken: string }) => PhotoApp;
  domain: string;
  /** PHOTOPLANE_INSTANCE_URL: an instance's origin with `{subdomain}` in it; default https://{subdomain}.<domain>. */
  instanceUrlTemplate?: string;
  mailer: Mailer;
}

/** Why the control plane wrote the photo app's config; only reconcile's writes are corrections worth an audit row. */
export type ConfigureReason = 'provision' | 'reconcile' | 'settings';

/** The app is published on its Docker host's loopback; the worker runs on that host (see docs/features.md, V5). */
export function appBaseUrl(appHostPort: number): string {
  return `http://127.0.0.1:${appHostPort}`;
}

const CONTROL_PLANE_KEY_NAME = 'photoplane-control-plane';

export function createInstanceActivities(deps: InstanceActivityDeps) {
  const { prisma } = deps;
  const urlTemplate = deps.instanceUrlTemplate ?? `https://{subdomain}.${deps.domain}`;

  /**
   * Makes the instance's photo app trust Photoplane's OpenID provider, with password login off, the storage
   * template on, the deletion delay and external domain of the instance (SPEC I1). Returns the fields that had to
   * be written (names only: the client secret is one of them on a fresh app, never its value).
   */
  async function configure(instanceId: string, appHostPort: number, reason: ConfigureReason) {
    const instance = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
    if (!instance.photoAppApiKeyCipher) {
      throw new Error(`instance ${instanceId} has no photo-app API key: the owner must be registered first`);
    }
    const app = deps.photoApp(appBaseUrl(appHostPort), { apiKey: deps.secrets.decrypt(instance.photoAppApiKeyCipher) });
    const { changed } = await ensureControlPlaneConfig(app, {
      origin: instanceOrigin(urlTemplate, instance.subdomain),
      issuer: instanceIssuer(urlTemplate, instance.subdomain),
      clientId: instance.id,
      clientSecret: deps.secrets.oidcClientSecret(instance.id),
      deletionDelayDays: instance.deletionDelayDays,
    });
    if (reason === 'reconcile' && changed.length > 0) {
      // Someone changed what the control plane relies on (the owner is the app's admin): put back and on record.
      await recordAudit(prisma, {
        actorType: 'system',
        action: 'photo_app.config_reasserted',
        targetType: 'instance',
        targetId: instance.id,
        instanceId: instance.id,
        details: { fields: changed },
      });
    }
    return { changed };
  }

  async function moveInstance(
    instanceId: string,
    event: Parameters<typeof transitionInstance>[1],
    accept: InstanceState[],
  ) {
    const instance = await prisma.instance.findUniqueOrThrow({ where: { id: instanceId } });
    // A retried activity finds the state it already wrote: that is success, not an illegal transition.
    if (accept.includes(instance.state)) return instance;
    const state = transitionInstance(instance.state, event);
    return prisma.instance.update({ where: { id: instanceId, state: instance.state }, data: { state } });
  }

  return withPermanentErrors({
    async startProvisioning(input: { instanceId: string }) {
      const instance = await moveInstance(input.instanceId, 'provision_started', ['provisioning']);
      await prisma.instance.update({ where: { id: input.instanceId }, data: { lastError: null } });
      return { subscriptionId: instance.subscriptionId, subdomain: instance.subdomain };
    },

    async recordProvisioningStep(input: { instanceId: string; step: ProvisionStep }) {
      await prisma.instance.update({ where: { id: input.instanceId }, data: { provisioningStep: input.step } });
    },

    /**
     * Places the instance on the registered host with the most free room (SPEC V5). Placements are serialised by
     * an advisory lock so two at once cannot both take a host's last slot.
     */
    async placeInstance(input: { instanceId: string }): Promise<{ hostName: string; taskQueue: string }> {
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('photoplane.placement'))`;
        const instance = await tx.instance.findUniqueOrThrow({
          where: { id: input.instanceId },
          include: { dockerHost: true },
        });
        if (instance.dockerHost)
          return { hostName: instance.dockerHost.name, taskQueue: hostTaskQueue(instance.dockerHost.name) };
        const hosts = await tx.$queryRaw<{ id: string; name: string; free: number }[]>`
          SELECT h.id, h.name, h.capacity - COUNT(i.id)::int AS free
          FROM docker_host h
          LEFT JOIN instance i ON i."dockerHostId" = h.id AND i.state NOT IN ('deprovisioned', 'failed')
          WHERE h."lastProbedAt" IS NOT NULL
          GROUP BY h.id
          HAVING h.capacity - COUNT(i.id) > 0
          ORDER BY free DESC, h.name
          LIMIT 1`;
        const host = hosts[0];
        if (!host) throw new Error('no Docker host has room for another instance');
        await tx.instance.update({ where: { id: input.instanceId }, data: { dockerHostId: host.id } });
        return { hostName: host.name, taskQueue: hostTaskQueue(host.name) };
      });
    },

    async releasePlacement(input: { instanceId: string }) {
      await prisma.instance.update({
        where: { id: input.instanceId },
        data: { dockerHostId: null, appHostPort: null },
      });
    },

    /**
     * Makes the customer the photo app's first admin (SPEC M1) and keeps an API key for the control plane,
     * encrypted. The app needs a password to sign up and to make that key: a derived one, used only here (members
     * and the owner sign in through Photoplane). Nothing secret is returned, so nothing lands in workflow history.
     */
    async registerOwner(input: { instanceId: string; appHostPort: number; owner: { email: string; name: string } }) {
      const instance = await prisma.instance.findUniqueOrThrow({ where: { id: input.instanceId } });
      if (instance.photoAppApiKeyCipher && instance.photoAppOwnerId) return { ownerId: instance.photoAppOwnerId };
      const baseUrl = appBaseUrl(input.appHostPort);
      const password = deps.secrets.ownerInitialPassword(input.instanceId);
      const app = deps.photoApp(baseUrl);
      // 'already-initialised' after a crash between sign-up and storing the key: the derived password still works.
      await app.signUpAdmin({ email: input.owner.email, name: input.owner.name, password });
      const session = await app.login({ email: input.owner.email, password });
      const key = await deps
        .photoApp(baseUrl, { accessToken: session.accessToken })
        .createApiKey(CONTROL_PLANE_KEY_NAME);
      const admin = deps.photoApp(baseUrl, { apiKey: key.secret });
      // The owner is the instance's first member (M1) with an unlimited quota, i.e. the whole plan while alone:
      // the photo app must refuse uploads past the plan from the first day, not from the first usage sync.
      const { storageBytes } = await prisma.plan.findFirstOrThrow({
        where: { subscriptions: { some: { instance: { id: input.instanceId } } } },
        select: { storageBytes: true },
      });
      // The owner signs in through Photoplane (OpenID Connect, password login off); the derived password only
      // opened the door for this key and is never shown, so there is nothing for them to change.
      await admin.updateUser(session.userId, { shouldChangePassword: false, quotaBytes: storageBytes });
      const emailNormalized = normaliseEmail(input.owner.email);
      await prisma.$transaction([
        prisma.instance.update({
          where: { id: input.instanceId },
          data: { photoAppApiKeyCipher: deps.secrets.encrypt(key.secret), photoAppOwnerId: session.userId },
        }),
        // A reprovisioned instance has a new photo app, so a kept owner row is pointed at its new user.
        prisma.member.upsert({
          where: { instanceId_emailNormalized: { instanceId: input.instanceId, emailNormalized } },
          update: { photoAppUserId: session.userId, photoAppQuotaBytes: storageBytes },
          create: {
            instanceId: input.instanceId,
            email: input.owner.email,
            emailNormalized,
            name: input.owner.name,
            role: 'owner',
            status: 'active',
            photoAppUserId: session.userId,
            photoAppQuotaBytes: storageBytes,
          },
        }),
      ]);
      return { ownerId: session.userId };
    },

    /** The photo app's settings the control plane relies on, set (provisioning) or put back (reconcile). */
    async configurePhotoApp(input: { instanceId: string; appHostPort: number; reason: ConfigureReason }) {
      return configure(input.instanceId, input.appHostPort, input.reason);
    },

    /**
     * After a change of the instance's settings (its deletion delay): the same, for a running instance only. A
     * suspended or unprovisioned one is skipped; resume keeps the app's database, and reconcile re-asserts anyway.
     */
    async applyInstanceSettingsToPhotoApp(input: { instanceId: string }): Promise<{ ran: boolean; changed: string[] }> {
      const instance = await prisma.instance.findUnique({ where: { id: input.instanceId } });
      if (instance?.state !== 'active' || !instance.appHostPort || !instance.photoAppApiKeyCipher) {
        return { ran: false, changed: [] };
      }
      return { ran: true, ...(await configure(instance.id, instance.appHostPort, 'settings')) };
    },

    async routeInstance(input: { instanceId: string; subdomain: string; appHostPort: number }) {
      const outcome = await deps.edge.routeInstance({
        instanceId: input.instanceId,
        subdomain: input.subdomain,
        upstream: `127.0.0.1:${input.appHostPort}`,
      });
      return { outcome, url: instanceOrigin(urlTemplate, input.subdomain) };
    },

    async unrouteInstance(input: { instanceId: string }) {
      return { outcome: await deps.edge.unrouteInstance(input.instanceId) };
    },

    async markInstanceActive(input: { instanceId: string; appHostPort: number }) {
      await moveInstance(input.instanceId, 'provisioned', ['active']);
      await prisma.instance.update({
        where: { id: input.instanceId },
        data: { appHostPort: input.appHostPort, provisioningStep: null, lastError: null },
      });
    },

    /**
     * Tells the owner their instance is ready and how to sign in there: with their Photoplane account, the e-mail
     * and password of the portal (one identity, one password, one two-factor). No password is ever mailed.
     * Sent at most once per instance: a retry after a crash between send and record is the only double-send.
     */
    async notifyOwner(input: { instanceId: string; owner: { email: string; name: string }; url: string }) {
      const instance = await prisma.instance.findUniqueOrThrow({ where: { id: input.instanceId } });
      if (instance.ownerNotifiedAt) return { sent: false };
      await deps.mailer.send({
        to: input.owner.email,
        subject: `Your photo library at ${input.url.replace(/^https?:\/\//, '')} is ready`,
        text: [
          `Hello ${input.owner.name},`,
          '',
          `Your photo library is ready: ${input.url}`,
          '',
          `Sign in there with your Photoplane account: ${input.owner.email} and the password you use at the portal`,
          '(and your two-factor code, if you turned it on). Your library has no separate password.',
          '',
          'From your library you can invite family and friends; each gets a private library and a storage quota.',
        ].join('\n'),
      });
      await prisma.instance.update({ where: { id: input.instanceId }, data: { ownerNotifiedAt: new Date() } });
      return { sent: true };
    },

    async markInstanceFailed(input: { instanceId: string; step: ProvisionStep; error: string }) {
      await moveInstance(input.instanceId, 'provision_failed', ['failed']);
      await prisma.instance.update({
        where: { id: input.instanceId },
        // The compensations removed the app and its data: its owner id and API key opened nothing any more.
        data: {
          lastError: `${input.step}: ${input.error}`.slice(0, 2000),
          appHostPort: null,
          photoAppApiKeyCipher: null,
          photoAppOwnerId: null,
        },
      });
    },
  });
}

export type InstanceActivities = ReturnType<typeof createInstanceActivities>;
