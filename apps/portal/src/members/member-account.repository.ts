// What a member keeps about themselves (SPEC U3, U5, U6): personal API keys, app preferences and the TOTP second
// factor. Every query is scoped by (instanceId, memberId), so an id of another member, or of another instance,
// finds nothing, exactly like a random one.
import { isUuid } from '@photoplane/tenant-model';
import type { InstanceId, MemberId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export interface ApiKeyRecord {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ApiKeyOwner {
  id: string;
  instanceId: InstanceId;
  memberId: MemberId;
}

export type Theme = 'system' | 'light' | 'dark';

export interface Preferences {
  theme: Theme;
  locale: string | null;
  displayOriginalPhotos: boolean;
  playVideoOnHover: boolean;
  permanentDeletionWarning: boolean;
  peopleLink: boolean;
  sharingLink: boolean;
  memories: boolean;
}

export interface TwoFactorRecord {
  secretCipher: string;
  enabledAt: Date | null;
  lastUsedStep: number | null;
}

const apiKeyColumns = { id: true, name: true, createdAt: true, lastUsedAt: true } as const;
const preferenceColumns = {
  theme: true,
  locale: true,
  displayOriginalPhotos: true,
  playVideoOnHover: true,
  permanentDeletionWarning: true,
  peopleLink: true,
  sharingLink: true,
  memories: true,
} as const;

export function createMemberAccountRepository(db: Db) {
  return {
    apiKeys: {
      async create(key: { instanceId: InstanceId; memberId: MemberId; name: string; keyHash: string; at: Date }) {
        return db.apiKey.create({
          data: {
            instanceId: key.instanceId,
            memberId: key.memberId,
            name: key.name,
            keyHash: key.keyHash,
            createdAt: key.at,
          },
          select: apiKeyColumns,
        });
      },

      async list(instanceId: InstanceId, memberId: MemberId): Promise<ApiKeyRecord[]> {
        return db.apiKey.findMany({
          where: { instanceId, memberId },
          select: apiKeyColumns,
          orderBy: { createdAt: 'asc' },
        });
      },

      async rename(instanceId: InstanceId, memberId: MemberId, id: string, name: string): Promise<ApiKeyRecord | null> {
        if (!isUuid(id)) return null;
        const { count } = await db.apiKey.updateMany({ where: { id, instanceId, memberId }, data: { name } });
        if (count === 0) return null;
        return db.apiKey.findFirst({ where: { id, instanceId, memberId }, select: apiKeyColumns });
      },

      async delete(instanceId: InstanceId, memberId: MemberId, id: string): Promise<boolean> {
        if (!isUuid(id)) return false;
        const { count } = await db.apiKey.deleteMany({ where: { id, instanceId, memberId } });
        return count === 1;
      },

      async findByHash(instanceId: InstanceId, keyHash: string): Promise<ApiKeyOwner | null> {
        const row = await db.apiKey.findFirst({
          where: { keyHash, instanceId },
          select: { id: true, instanceId: true, memberId: true },
        });
        return row as ApiKeyOwner | null;
      },

      async touch(id: string, at: Date): Promise<void> {
        await db.apiKey.updateMany({ where: { id }, data: { lastUsedAt: at } });
      },
    },

    preferences: {
      async find(instanceId: InstanceId, memberId: MemberId): Promise<Preferences | null> {
        return db.memberPreference.findFirst({ where: { instanceId, memberId }, select: preferenceColumns });
      },

      async save(instanceId: InstanceId, memberId: MemberId, preferences: Preferences): Promise<Preferences> {
        return db.memberPreference.upsert({
          where: { instanceId_memberId: { instanceId, memberId } },
          create: { instanceId, memberId, ...preferences },
          update: preferences,
          select: preferenceColumns,
        });
      },
    },

    twoFactor: {
      async find(instanceId: InstanceId, memberId: MemberId): Promise<TwoFactorRecord | null> {
        return db.memberTwoFactor.findFirst({
          where: { instanceId, memberId },
          select: { secretCipher: true, enabledAt: true, lastUsedStep: true },
        });
      },

      /** A new, not yet confirmed secret; replaces an earlier unconfirmed one, never an active one. */
      async savePending(instanceId: InstanceId, memberId: MemberId, secretCipher: string, at: Date): Promise<boolean> {
        await db.memberTwoFactor.deleteMany({ where: { instanceId, memberId, enabledAt: null } });
        const active = await db.memberTwoFactor.findFirst({
          where: { instanceId, memberId },
          select: { memberId: true },
        });
        if (active) return false;
        await db.memberTwoFactor.create({ data: { instanceId, memberId, secretCipher, createdAt: at } });
        return true;
      },

      async enable(instanceId: InstanceId, memberId: MemberId, step: number, at: Date): Promise<boolean> {
        const { count } = await db.memberTwoFactor.updateMany({
          where: { instanceId, memberId, enabledAt: null },
          data: { enabledAt: at, lastUsedStep: step },
        });
        return count === 1;
      },

      /**
       * Accepts a code's step once: the row moves forward only if no code of this step or a later one was used,
       * in one statement, so two requests racing with the same code cannot both succeed.
       */
      async consumeStep(instanceId: InstanceId, memberId: MemberId, step: number): Promise<boolean> {
        const { count } = await db.memberTwoFactor.updateMany({
          where: {
            instanceId,
            memberId,
            enabledAt: { not: null },
            OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }],
          },
          data: { lastUsedStep: step },
        });
        return count === 1;
      },

      async remove(instanceId: InstanceId, memberId: MemberId): Promise<boolean> {
        const { count } = await db.memberTwoFactor.deleteMany({ where: { instanceId, memberId } });
        return count === 1;
      },
    },
  };
}

export type MemberAccountRepository = ReturnType<typeof createMemberAccountRepository>;
