// The audit log (SPEC A5): security-relevant events on accounts, written next to the change they describe.
import { recordAudit, type AuditAction, type Prisma } from '@photoplane/db';
import type { Db } from './data/db.ts';

export type { AuditAction };

export interface AuditEvent {
  actorType: 'account' | 'system';
  actorId: string | null;
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  at: Date;
  details?: Prisma.InputJsonObject;
  instanceId?: string | null;
  /** Who the actor was at the time (a staff member's e-mail), since the account may later change or go. */
  actorLabel?: string | null;
  /** Why: required of staff for every change they make (SPEC A5). */
  reason?: string | null;
  /** Where the action came from (staff actions). */
  clientIp?: string | null;
}

export function createAuditEventRepository(db: Db) {
  return {
    async record(event: AuditEvent): Promise<void> {
      await recordAudit(db, event);
    },
  };
}

export type AuditEventRepository = ReturnType<typeof createAuditEventRepository>;
