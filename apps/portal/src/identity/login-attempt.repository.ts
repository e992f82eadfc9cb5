// Every portal sign-in attempt, kept for throttling forensics and `photoplane logins ls` (SPEC A2).
import type { AccountId } from '@photoplane/tenant-model';
import type { Db } from '../platform/data/db.ts';

export type LoginStatus = 'succeeded' | 'failed' | 'throttled';

export interface LoginAttempt {
  clientIp: string;
  /** As typed, so attempts on addresses that match nobody are visible too. */
  email: string;
  accountId: AccountId | null;
  status: LoginStatus;
  at: Date;
}

export function createLoginAttemptRepository(db: Db) {
  return {
    async record(attempt: LoginAttempt): Promise<void> {
      await db.loginAttempt.create({ data: { ...attempt, realm: 'portal' } });
    },
  };
}

export type LoginAttemptRepository = ReturnType<typeof createLoginAttemptRepository>;
