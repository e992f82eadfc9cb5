// The owner's export of their library (SPEC F1; seed 001: download before deletion). The owner asks; the worker's
// export workflow writes a tar of the library volume and the members list into the exports folder and mails a
// link; this side serves the archive behind that link. The link's token is stored only as its SHA-256 and expires
// with the archive (PHOTOPLANE_EXPORT_LINK_DAYS); every request and download is audited.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { recordAudit, type PrismaClient } from '@photoplane/db';
import { exportWorkflowId, exportWorkflowNames, type ExportInstanceInput } from '@photoplane/provisioner/contracts';
import { DomainError } from '@photoplane/tenant-model';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { hashSecretToken } from '../platform/secret-token.ts';

/** Where the library volume still exists: a suspended (or cancelled and retained) instance can still be exported. */
const EXPORTABLE_STATES = new Set(['active', 'suspended']);

export interface ExportView {
  id: string;
  status: string;
  requestedAt: string;
  finishedAt: string | null;
  expiresAt: string | null;
  bytes: string | null;
  downloads: number;
  error: string | null;
}

export type ExportDownload =
  | { kind: 'ready'; fileName: string; bytes: number; open: () => Readable }
  /** Known, but its link has expired (or its archive is gone): the page says to ask for a new one. */
  | { kind: 'expired'; subdomain: string }
  | { kind: 'unknown' };

export interface ExportStarter {
  startExport(instanceId: string, input: ExportInstanceInput): Promise<void>;
}

export function createTemporalExportStarter(deps: { client: Client; taskQueue: string }): ExportStarter {
  return {
    async startExport(instanceId, input) {
      await deps.client.workflow.start(exportWorkflowNames.exportInstance, {
        taskQueue: deps.taskQueue,
        workflowId: exportWorkflowId(instanceId),
        args: [input],
      });
    },
  };
}

function view(row: {
  id: string;
  status: string;
  requestedAt: Date;
  finishedAt: Date | null;
  expiresAt: Date | null;
  bytes: bigint | null;
  downloads: number;
  error: string | null;
}): ExportView {
  return {
    id: row.id,
    status: row.status,
    requestedAt: row.requestedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    bytes: row.bytes?.toString() ?? null,
    downloads: row.downloads,
    // The owner sees that it failed, not the worker's internals.
    error: row.status === 'failed' ? 'The export could not be made. Ask again, or write to support.' : null,
  };
}

export function createExportService(deps: {
  db: PrismaClient;
  /** PHOTOPLANE_EXPORT_DIR: where the worker writes the archives. */
  exportDir: string;
  starter: ExportStarter;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  /** Only the account that owns the instance's subscription; anyone else reads "no such instance". */
  async function ownedInstance(accountId: string, subdomain: string) {
    const instance = await db.instance.findUnique({ where: { subdomain }, include: { subscription: true } });
    if (!instance || instance.subscription.accountId !== accountId)
      throw new DomainError('not_found', 'No such instance', { field: 'subdomain' });
    return instance;
  }

  return {
    async listExports(principal: { accountId: string }, subdomain: string): Promise<{ exports: ExportView[] }> {
      const instance = await ownedInstance(principal.accountId, subdomain);
      const rows = await db.instanceExport.findMany({
        where: { instanceId: instance.id },
        orderBy: { requestedAt: 'desc' },
        take: 20,
      });
      return { exports: rows.map(view) };
    },

    /** Opens the export's row and starts the workflow in one transaction: a refused start leaves nothing behind. */
    async requestExport(principal: { accountId: string; clientIp?: string | undefined }, subdomain: string) {
      const instance = await ownedInstance(principal.accountId, subdomain);
      if (!EXPORTABLE_STATES.has(instance.state))
        throw new DomainError(
          'illegal_transition',
          `This instance is ${instance.state}: it has no library to export.`,
          {
            field: 'state',
            state: instance.state,
          },
        );
      const running = await db.instanceExport.findFirst({ where: { instanceId: instance.id, status: 'running' } });
      if (running)
        throw new DomainError('conflict', 'An export of this instance is being made.', { field: 'subdomain' });
      const row = await db.$transaction(async (tx) => {
        const created = await tx.instanceExport.create({
          data: { instanceId: instance.id, accountId: principal.accountId, status: 'running', requestedAt: now() },
        });
        await recordAudit(tx, {
          actorType: 'account',
          actorId: principal.accountId,
          action: 'export.requested',
          targetType: 'instance',
          targetId: instance.id,
          instanceId: instance.id,
          clientIp: principal.clientIp ?? null,
          details: { exportId: created.id, subdomain: instance.subdomain },
        });
        try {
          await deps.starter.startExport(instance.id, { exportId: created.id });
        } catch (e) {
          if (e instanceof WorkflowExecutionAlreadyStartedError)
            throw new DomainError('conflict', 'An export of this instance is being made.', { field: 'subdomain' });
          throw e;
        }
        return created;
      });
      return view(row);
    },

    /** The archive behind a mailed link; each download is counted and audited. */
    async openDownload(token: string, clientIp?: string): Promise<ExportDownload> {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { kind: 'unknown' };
      const row = await db.instanceExport.findUnique({ where: { tokenHash: hashSecretToken(token) } });
      if (!row) return { kind: 'unknown' };
      const instance = await db.instance.findUnique({ where: { id: row.instanceId }, select: { subdomain: true } });
      const subdomain = instance?.subdomain ?? 'your instance';
      if (row.status !== 'ready' || !row.expiresAt || row.expiresAt <= now() || !row.fileName)
        return { kind: 'expired', subdomain };
      const file = path.join(deps.exportDir, path.basename(row.fileName));
      const size = await stat(file).then(
        (s) => s.size,
        () => null,
      );
      if (size === null) return { kind: 'expired', subdomain };
      await db.$transaction([
        db.instanceExport.update({
          where: { id: row.id },
          data: { downloads: { increment: 1 }, lastDownloadAt: now() },
        }),
        recordAudit(db, {
          actorType: 'system',
          actorLabel: 'export link',
          action: 'export.downloaded',
          targetType: 'instance',
          targetId: row.instanceId,
          instanceId: row.instanceId,
          clientIp: clientIp ?? null,
          details: { exportId: row.id, bytes: size },
        }),
      ]);
      const day = row.requestedAt.toISOString().slice(0, 10);
      return {
        kind: 'ready',
        fileName: `${subdomain}-export-${day}.tar`,
        bytes: size,
        open: () => createReadStream(file),
      };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
