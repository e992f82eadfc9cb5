// Revocation reaches the photo app (SPEC I1, U4, M7): whenever a photo-app sign-in is revoked in Photoplane (the
// member signs out, revokes a device, changes their password, is disabled or deleted, or staff revoke them), the
// photo app is sent an OpenID back-channel logout for that session's `sid`, which ends it there. The revocation is
// committed first and the delivery follows from the database, like an outbox: whatever revoked the row (any
// service, the CLI, another portal process), this loop finds it within a poll, and retries until the photo app
// answers. A suspended instance's logouts wait for it to run again; after a day they are given up (the photo
// app's own session lifetime is the backstop).
import type { OidcRepository } from '../instance-sign-in/oidc.repository.ts';
import type { OidcProviders } from '../instance-sign-in/instance-providers.ts';

export interface PhotoAppLogoutDeps {
  oidc: OidcRepository;
  providers: OidcProviders;
  log: { warn(details: object, message: string): void };
  pollMs?: number;
  now?: () => Date;
}

/** oidc-provider's Client has this method (lib/models/client.js); its type definitions leave it out. */
interface BackchannelClient {
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

const GIVE_UP_AFTER_MS = 24 * 60 * 60 * 1000;
const BATCH = 50;

export function createPhotoAppLogout({
  oidc,
  providers,
  log,
  pollMs = 1000,
  now = () => new Date(),
}: PhotoAppLogoutDeps) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function deliver(): Promise<number> {
    const pending = await oidc.devices.pendingLogouts(new Date(now().getTime() - GIVE_UP_AFTER_MS), BATCH);
    let sent = 0;
    for (const logout of pending) {
      const instance = await oidc.instanceOf(logout.instanceId);
      if (!instance || instance.state !== 'active') continue;
      try {
        const provider = await providers.providerFor({
          id: instance.id,
          subdomain: instance.subdomain,
          origin: providers.originOf(instance.subdomain),
        });
        // The provider signs the logout token with its current keys and posts it to the client's logout URI.
        const client = (await provider.Client.find(instance.id)) as BackchannelClient | undefined;
        if (!client) continue;
        await client.backchannelLogout(logout.memberId, logout.oidcSid);
        await oidc.devices.markLoggedOut(logout.sessionId, now());
        sent++;
      } catch (err) {
        log.warn({ err, instanceId: logout.instanceId }, 'back-channel logout to the photo app failed; will retry');
      }
    }
    return sent;
  }

  /** One pass; concurrent callers share it. Returns how many photo-app sessions were ended. */
  function runOnce(): Promise<number> {
    running ??= deliver().finally(() => (running = undefined));
    return running;
  }

  return {
    runOnce,
    start(): void {
      const tick = () => {
        runOnce()
          .catch((err: unknown) => log.warn({ err }, 'photo-app logout pass failed'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, pollMs).unref();
          });
      };
      timer = setTimeout(tick, pollMs).unref();
    },
    async stop(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

export type PhotoAppLogout = ReturnType<typeof createPhotoAppLogout>;
