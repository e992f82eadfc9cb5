// The photo app's settings the control plane relies on (SPEC I1, issue 10 item 5): OAuth against Photoplane's
// OpenID provider with password login off, the storage template on (storage labels, M5), the user deletion delay
// equal to the instance's (M7: the app must never purge a member before Photoplane does) and the external domain
// (shared links). Pure: what the config should hold, and which of those fields differ from what the app holds.
//
// Immich's PUT /system-config takes the whole config, so the caller reads it, lays these fields over it and writes
// it all back: everything else (the owner's own choices: map, trash, machine learning…) is left as the owner set it.
import { PhotoAppError, type PhotoApp, type PhotoAppConfig } from './photo-app.ts';

export type { PhotoAppConfig };

export interface ControlPlaneSettings {
  /** The instance's origin, e.g. https://smith.photos.example.com. */
  origin: string;
  /** The OpenID issuer: the origin plus the portal's reserved prefix. */
  issuer: string;
  /** The instance id. */
  clientId: string;
  /** Secret: never logged, never in workflow history. */
  clientSecret: string;
  /** The instance's member deletion delay; 0 = at the next midnight purge. */
  deletionDelayDays: number;
}

/** The fields the control plane owns, section by section. */
export type ConfigPatch = Record<string, Record<string, unknown>>;

/** Field paths whose values are secrets: named in reports and audit rows, never shown. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['oauth.clientSecret']);

export function desiredConfigPatch(s: ControlPlaneSettings): ConfigPatch {
  return {
    oauth: {
      enabled: true,
      issuerUrl: s.issuer,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      scope: 'openid email profile',
      signingAlgorithm: 'RS256',
      // The userinfo answer is plain JSON; the ID token is what is signed.
      profileSigningAlgorithm: 'none',
      tokenEndpointAuthMethod: 'client_secret_post',
      storageQuotaClaim: 'immich_quota',
      storageLabelClaim: 'immich_storage_label',
      roleClaim: 'immich_role',
      autoRegister: true,
      autoLaunch: true,
      buttonText: 'Sign in with Photoplane',
      // The provider's client is a web client, which may not register the app's custom scheme
      // (app.immich:///oauth-callback): the mobile app goes through this https redirect, which the photo app
      // forwards to its custom scheme (Immich's own answer for such providers).
      mobileOverrideEnabled: true,
      mobileRedirectUri: `${s.origin}/api/oauth/mobile-redirect`,
      // A member whose token carries no quota gets nothing, never "unlimited": the roll-up must hold.
      defaultStorageQuota: 0,
      timeout: 30000,
      // Only the local stack's issuer is plain http.
      allowInsecureRequests: s.issuer.startsWith('http:'),
      prompt: '',
      // Immich discovers it from the issuer.
      endSessionEndpoint: '',
      // The member's own account page (password, two-factor, devices, API keys) at the instance's address.
      accountManagementUrl: `${s.origin}/photoplane/account`,
    },
    passwordLogin: { enabled: false },
    storageTemplate: { enabled: true },
    // Immich purges soft-deleted users itself after this many days and refuses less than 1. Never earlier than
    // Photoplane's own purge, or a member restored in time would come back with an empty library.
    user: { deleteDelay: Math.max(1, s.deletionDelayDays) },
    server: { externalDomain: s.origin },
  };
}

/** `section.field` paths where the app's config differs from the patch, in the patch's order. */
export function configDrift(current: PhotoAppConfig, patch: ConfigPatch): string[] {
  const drift: string[] = [];
  for (const [section, fields] of Object.entries(patch)) {
    for (const [field, value] of Object.entries(fields)) {
      if (current[section]?.[field] !== value) drift.push(`${section}.${field}`);
    }
  }
  return drift;
}

/** The whole config with the patch laid over it; sections and fields the patch does not name are kept. */
export function applyConfigPatch(current: PhotoAppConfig, patch: ConfigPatch): PhotoAppConfig {
  const next: PhotoAppConfig = { ...current };
  for (const [section, fields] of Object.entries(patch)) next[section] = { ...current[section], ...fields };
  return next;
}

export interface EnsuredConfig {
  /** The fields that differed and were written; empty when the app already matched. */
  changed: string[];
}

/**
 * Reads the app's config, and when any field the control plane owns differs, writes the whole config back with
 * those fields set. The answer is checked: an app that drops a field it was given (say, one too old to know it)
 * fails here rather than running with password login on or no OAuth.
 */
export async function ensureControlPlaneConfig(app: PhotoApp, settings: ControlPlaneSettings): Promise<EnsuredConfig> {
  const patch = desiredConfigPatch(settings);
  const current = await app.getConfig();
  const changed = configDrift(current, patch);
  if (changed.length === 0) return { changed };
  const saved = await app.updateConfig(applyConfigPatch(current, patch));
  const kept = configDrift(saved, patch);
  if (kept.length > 0) {
    throw new PhotoAppError('updateConfig', 200, `the photo app did not keep ${kept.join(', ')}`);
  }
  return { changed };
}
