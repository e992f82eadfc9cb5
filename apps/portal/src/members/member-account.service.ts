// A member's own account at their instance (SPEC U1, U3, U4, U5, U6, seed 003): profile, personal API keys,
// signed-in devices, app preferences and TOTP two-factor authentication. Every use case acts on the principal's
// own member only (ids come from the authenticated request, never from the URL), so no key or token, an admin's
// or the owner's included, can reach another member's settings, keys or sessions: an id of anyone else's thing
// answers exactly like a random id.
import {
  DomainError,
  effectiveLimit,
  parseMemberName,
  quotaToGib,
  resourceNotFound,
  validationError,
  type MemberRole,
} from '@photoplane/tenant-model';
import type { ApiKeyRecord, Preferences } from './member-account.repository.ts';
import type { MemberUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { MemberPrincipal } from './member-auth.service.ts';
import type { MemberSync } from './member-workflows.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { createSecretToken } from '../platform/secret-token.ts';
import { generateTotpSecret, matchTotpStep, otpauthUri } from '../platform/totp.ts';
import { useTotpCode } from './two-factor.ts';

export interface MemberAccountServiceDeps {
  repositories: MemberUnitOfWork;
  secretBox: SecretBox;
  sync: MemberSync;
  log: { error(details: object, message: string): void };
  /** Instances live at <subdomain>.<domain>: the account name authenticator apps show. */
  domain: string;
  /** The issuer authenticator apps show next to the code. */
  totpIssuer?: string;
  now?: () => Date;
}

export interface MemberAccount {
  id: string;
  email: string;
  name: string;
  role: MemberRole;
  mustChangePassword: boolean;
  /** 0 = unlimited (seed 000). */
  quotaGiB: number;
  quotaBytes: string | null;
  usageBytes: string;
  /** What the member may store now: their quota, or for unlimited members what the plan has left. */
  effectiveLimitBytes: string;
  twoFactorEnabled: boolean;
}

/** Seed 003's app settings as Immich ships them. */
export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  locale: null,
  displayOriginalPhotos: false,
  playVideoOnHover: true,
  permanentDeletionWarning: true,
  peopleLink: true,
  sharingLink: true,
  memories: true,
};

export interface ApiKeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const keyView = (key: ApiKeyRecord): ApiKeyView => ({
  id: key.id,
  name: key.name,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
});

const apiKeyNotFound = () => resourceNotFound('apiKey');
const sessionNotFound = () => resourceNotFound('session');
const invalidCode = () =>
  new DomainError('validation', 'The code is wrong, expired or already used.', { field: 'code', rule: 'invalid' });

function parseKeyName(input: string): string {
  const name = input.trim();
  if (!name) throw validationError('name', 'The key name must not be empty.');
  return name;
}

function parseLocale(locale: string | null): string | null {
  if (locale === null) return null;
  try {
    // Intl knows BCP 47: a tag it cannot canonicalise is no locale anyone could format with.
    return Intl.getCanonicalLocales(locale)[0] ?? null;
  } catch {
    throw validationError('locale', 'The locale must be a BCP 47 language tag such as en-GB, or null.', 'bcp47');
  }
}

export function createMemberAccountService({
  repositories,
  secretBox,
  sync,
  log,
  domain,
  totpIssuer = 'Photoplane',
  now = () => new Date(),
}: MemberAccountServiceDeps) {
  const { memberAccount } = repositories;

  async function requireMember(principal: MemberPrincipal) {
    const member = await repositories.members.find(principal.instanceId, principal.memberId);
    // The plugin checked the member a moment ago; gone since then reads as signed out.
    if (!member) throw new DomainError('unauthenticated', 'This sign-in has ended; sign in again.');
    return member;
  }

  /** U1: who the member is, and their storage. */
  async function getAccount(principal: MemberPrincipal, subdomain: string): Promise<MemberAccount> {
    const member = await requireMember(principal);
    const instance = await repositories.members.findInstanceBySubdomain(subdomain);
    const limit = instance
      ? effectiveLimit(instance.planBytes, await repositories.members.quotaMembers(instance.id), member.id)
      : 0n;
    const twoFactor = await memberAccount.twoFactor.find(principal.instanceId, principal.memberId);
    return {
      id: member.id,
      email: member.email,
      name: member.name,
      role: member.role,
      mustChangePassword: member.mustChangePassword,
      quotaGiB: quotaToGib(member.quotaBytes),
      quotaBytes: member.quotaBytes === null ? null : member.quotaBytes.toString(),
      usageBytes: member.usageBytes.toString(),
      effectiveLimitBytes: limit.toString(),
      twoFactorEnabled: twoFactor?.enabledAt != null,
    };
  }

  return {
    getAccount,

    /** U1: the name, which the photo app shows too, so the member sync carries it there after the commit. */
    async updateAccount(principal: MemberPrincipal, subdomain: string, patch: { name: string }) {
      const name = parseMemberName(patch.name);
      await requireMember(principal);
      await repositories.members.update(principal.instanceId, principal.memberId, { name });
      try {
        await sync.syncMember({ instanceId: principal.instanceId, memberId: principal.memberId });
      } catch (err) {
        // The row is the truth: the next change or the usage sync's pass catches the photo app up.
        log.error({ err, memberId: principal.memberId }, 'could not start the member sync workflow');
      }
      return getAccount(principal, subdomain);
    },

    // U3: personal API keys. The secret is 32 random bytes, shown once; only its SHA-256 is kept.
    async createApiKey(principal: MemberPrincipal, input: { name: string }) {
      const name = parseKeyName(input.name);
      const { token, hash } = createSecretToken();
      const key = await memberAccount.apiKeys.create({
        instanceId: principal.instanceId,
        memberId: principal.memberId,
        name,
        keyHash: hash,
        at: now(),
      });
      return { apiKey: keyView(key), secret: token };
    },

    async listApiKeys(principal: MemberPrincipal) {
      return (await memberAccount.apiKeys.list(principal.instanceId, principal.memberId)).map(keyView);
    },

    async renameApiKey(principal: MemberPrincipal, id: string, input: { name: string }) {
      const name = parseKeyName(input.name);
      const key = await memberAccount.apiKeys.rename(principal.instanceId, principal.memberId, id, name);
      if (!key) throw apiKeyNotFound();
      return keyView(key);
    },

    async deleteApiKey(principal: MemberPrincipal, id: string): Promise<void> {
      if (!(await memberAccount.apiKeys.delete(principal.instanceId, principal.memberId, id))) throw apiKeyNotFound();
    },

    /** U4: the member's live sign-ins; `current` marks the one this request came with. */
    async listDevices(principal: MemberPrincipal) {
      const devices = await repositories.memberSessions.listDevices(principal.instanceId, principal.memberId, now());
      return devices.map((d) => ({ ...d, current: d.id === principal.sessionId }));
    },

    /** U4: ends one sign-in; its refresh token and its access tokens stop working at once. */
    async revokeDevice(principal: MemberPrincipal, id: string): Promise<void> {
      const revoked = await repositories.memberSessions.revokeDevice(
        principal.instanceId,
        principal.memberId,
        id,
        now(),
      );
      if (revoked === 0) throw sessionNotFound();
    },

    /** U5: the member's settings, defaults filled in for what they never set. */
    async getPreferences(principal: MemberPrincipal): Promise<Preferences> {
      return (await memberAccount.preferences.find(principal.instanceId, principal.memberId)) ?? DEFAULT_PREFERENCES;
    },

    /** U5: a partial update; fields not sent keep their value. */
    async updatePreferences(principal: MemberPrincipal, patch: Partial<Preferences>): Promise<Preferences> {
      const changes = { ...patch };
      if (changes.locale !== undefined) changes.locale = parseLocale(changes.locale);
      return repositories.transaction(async (repos) => {
        const current =
          (await repos.memberAccount.preferences.find(principal.instanceId, principal.memberId)) ?? DEFAULT_PREFERENCES;
        return repos.memberAccount.preferences.save(principal.instanceId, principal.memberId, {
          ...current,
          ...changes,
        });
      });
    },

    // U6: TOTP two-factor authentication.
    async getTwoFactor(principal: MemberPrincipal) {
      const record = await memberAccount.twoFactor.find(principal.instanceId, principal.memberId);
      return { enabled: record?.enabledAt != null, pending: record !== null && record.enabledAt === null };
    },

    /** A new secret, not active until confirmed with a code from it; refused while two-factor is on. */
    async enrolTwoFactor(principal: MemberPrincipal, subdomain: string) {
      const member = await requireMember(principal);
      const secret = generateTotpSecret();
      const saved = await memberAccount.twoFactor.savePending(
        principal.instanceId,
        principal.memberId,
        secretBox.seal(secret),
        now(),
      );
      if (!saved) {
        throw new DomainError('conflict', 'Two-factor authentication is already on; disable it first.', {
          field: 'twoFactor',
        });
      }
      return {
        secret,
        otpauthUri: otpauthUri({ secret, issuer: totpIssuer, account: `${member.email} (${subdomain}.${domain})` }),
      };
    },

    /** Turns two-factor on; the confirming code's step is spent, so it cannot also sign in. */
    async confirmTwoFactor(principal: MemberPrincipal, code: string): Promise<void> {
      const record = await memberAccount.twoFactor.find(principal.instanceId, principal.memberId);
      if (!record || record.enabledAt) {
        throw new DomainError('conflict', 'There is no pending enrolment; start one first.', { field: 'twoFactor' });
      }
      const at = now();
      const step = matchTotpStep(secretBox.open(record.secretCipher), code, at);
      if (step === null) throw invalidCode();
      if (!(await memberAccount.twoFactor.enable(principal.instanceId, principal.memberId, step, at))) {
        throw new DomainError('conflict', 'There is no pending enrolment; start one first.', { field: 'twoFactor' });
      }
    },

    /** By the member: a current code is required, so a stolen session alone cannot switch it off. */
    async disableTwoFactor(principal: MemberPrincipal, code: string): Promise<void> {
      const check = await useTotpCode(memberAccount.twoFactor, secretBox, principal, code, now());
      if (check === 'not_enabled') {
        throw new DomainError('conflict', 'Two-factor authentication is not on.', { field: 'twoFactor' });
      }
      if (check !== 'accepted') throw invalidCode();
      await memberAccount.twoFactor.remove(principal.instanceId, principal.memberId);
    },
  };
}

export type MemberAccountService = ReturnType<typeof createMemberAccountService>;
