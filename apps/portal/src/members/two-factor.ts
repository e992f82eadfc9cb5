// Checking a member's TOTP code (SPEC U6), shared by sign-in and by the member's own two-factor settings: the
// secret is opened from its AES-256-GCM box, the code matched within ±1 step, and its step consumed in the database
// so the same code cannot be used twice, by this request or a concurrent one.
import type { InstanceId, MemberId } from '@photoplane/tenant-model';
import type { MemberAccountRepository } from './member-account.repository.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { matchTotpStep } from '../platform/totp.ts';

export type CodeCheck = 'accepted' | 'invalid' | 'not_enabled';

export async function useTotpCode(
  twoFactor: MemberAccountRepository['twoFactor'],
  secretBox: SecretBox,
  member: { instanceId: InstanceId; memberId: MemberId },
  code: string,
  at: Date,
): Promise<CodeCheck> {
  const record = await twoFactor.find(member.instanceId, member.memberId);
  if (!record?.enabledAt) return 'not_enabled';
  const step = matchTotpStep(secretBox.open(record.secretCipher), code, at);
  if (step === null) return 'invalid';
  return (await twoFactor.consumeStep(member.instanceId, member.memberId, step)) ? 'accepted' : 'invalid';
}

/** Whether sign-in must ask this member for a code. */
export async function twoFactorEnabled(
  twoFactor: MemberAccountRepository['twoFactor'],
  member: { instanceId: InstanceId; memberId: MemberId },
): Promise<boolean> {
  return (await twoFactor.find(member.instanceId, member.memberId))?.enabledAt != null;
}
