// Support staff's use cases (SPEC A1-A6) behind the support API, split into the *.service.ts files beside it: tenants,
// members, credentials (sign-ins, sessions, API keys), staff accounts and the audit log. The route layer resolves the
// acting member of staff once per request (`authorize`: staff role, the route's permission, audited refusal); each
// use case then re-checks its permission against the tenant model's table, needs a reason for every change and
// writes one audit row, reads included.
import type { SupportUnitOfWork } from '../platform/data/unit-of-work.ts';
import type { MemberService } from '../members/member.service.ts';
import type { PasswordService } from '../platform/password.service.ts';
import type { SecretBox } from '../platform/secret-box.ts';
import { createAuditSupport } from './staff-audit.ts';
import { createCredentialSupport } from './credentials.service.ts';
import { createFleetSupport } from './fleet.service.ts';
import type { FleetUpgradeControl } from './fleet-upgrade-control.ts';
import { createMemberSupport } from './members.service.ts';
import { createStaffContext } from './staff-context.ts';
import { createStaffSupport } from './staff.service.ts';
import { createTenantSupport } from './tenants.service.ts';

export type { Staff } from './staff-context.ts';
export { MAX_LIST_LIMIT, parseReason } from './staff-context.ts';
export type { AuditView } from './staff-audit.ts';
export type { CredentialView, LoginView } from './credentials.service.ts';
export type { NewStaffCredentials, StaffView } from './staff.service.ts';
export type { TenantDetail, TenantUsage, TenantView } from './tenants.service.ts';
export type { FleetUpgradeView, NewFleetUpgrade } from './fleet.service.ts';
export { parseInstanceState } from './tenants.service.ts';

export interface SupportServiceDeps {
  repositories: SupportUnitOfWork;
  members: MemberService;
  passwords: PasswordService;
  /** After a commit that queued an instance operation in the outbox: sends it now (the dispatcher's nudge). */
  queued: () => void;
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
  queued,
  fleet,
  staffTotp,
  sessionsEnded,
  now = () => new Date(),
}: SupportServiceDeps) {
  const context = createStaffContext(repositories, now);
  return {
    authorize: (...args: Parameters<typeof context.authorize>) => context.authorize(...args),
    ...createTenantSupport({ repositories, context, queued }),
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
