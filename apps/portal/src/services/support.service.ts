// Support staff's use cases (SPEC A1-A6) behind the support API, split by subject under services/support/: tenants,
// members, credentials (sign-ins, sessions, API keys), staff accounts and the audit log. The route layer resolves the
// acting member of staff once per request (`authorize`: staff role, the route's permission, audited refusal); each
// use case then re-checks its permission against the tenant model's table, needs a reason for every change and
// writes one audit row, reads included.
import type { SupportUnitOfWork } from '../repositories/unit-of-work.ts';
import type { InstanceOperations } from './instance-operations.ts';
import type { MemberService } from './member.service.ts';
import type { PasswordService } from './password.service.ts';
import type { SecretBox } from './secret-box.ts';
import { createAuditSupport } from './support/audit.ts';
import { createCredentialSupport } from './support/credentials.ts';
import { createFleetSupport } from './support/fleet.ts';
import type { FleetUpgradeControl } from './fleet-upgrade-control.ts';
import { createMemberSupport } from './support/members.ts';
import { createStaffContext } from './support/staff-context.ts';
import { createStaffSupport } from './support/staff.ts';
import { createTenantSupport } from './support/tenants.ts';

export type { Staff } from './support/staff-context.ts';
export { MAX_LIST_LIMIT, parseReason } from './support/staff-context.ts';
export type { AuditView } from './support/audit.ts';
export type { CredentialView, LoginView } from './support/credentials.ts';
export type { NewStaffCredentials, StaffView } from './support/staff.ts';
export type { TenantDetail, TenantUsage, TenantView } from './support/tenants.ts';
export type { FleetUpgradeView, NewFleetUpgrade } from './support/fleet.ts';
export { parseInstanceState } from './support/tenants.ts';

export interface SupportServiceDeps {
  repositories: SupportUnitOfWork;
  members: MemberService;
  passwords: PasswordService;
  operations: InstanceOperations;
  /** Starts and steers the fleet-upgrade workflow (SPEC F3). */
  fleet: FleetUpgradeControl;
  /** Seals staff accounts' TOTP secrets. */
  staffTotp: SecretBox;
  /** After support revokes sign-ins: resolves once every portal process's liveness cache dropped them (issue 18). */
  sessionsEnded?: () => Promise<void>;
  now?: () => Date;
}

export function createSupportService({
  repositories,
  members,
  passwords,
  operations,
  fleet,
  staffTotp,
  sessionsEnded,
  now = () => new Date(),
}: SupportServiceDeps) {
  const context = createStaffContext(repositories, now);
  return {
    authorize: (...args: Parameters<typeof context.authorize>) => context.authorize(...args),
    ...createTenantSupport({ repositories, context, operations }),
    ...createMemberSupport({ repositories, context, members, passwords, now }),
    ...createCredentialSupport({ repositories, context, members, now, ...(sessionsEnded ? { sessionsEnded } : {}) }),
    ...createStaffSupport({
      repositories,
      context,
      passwords,
      totpBox: staffTotp,
      now,
      ...(sessionsEnded ? { sessionsEnded } : {}),
    }),
    ...createAuditSupport({ repositories, context }),
    ...createFleetSupport({ repositories, context, fleet }),
  };
}

export type SupportService = ReturnType<typeof createSupportService>;

/** The box staff TOTP secrets are sealed in: its own purpose, so members' and staff's keys never mix. */
export const STAFF_TOTP_PURPOSE = 'photoplane/staff-totp/v1';
