// Control-queue activities of the owner's export (SPEC F1): the export's row, the members list that goes into the
// archive, the link (a random token mailed to the owner, stored only as its SHA-256, valid for a few days) and the
// expiry that deletes the archive. The archive itself is written on the instance's host (export-host.activities.ts).
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { recordAudit, type AuditAction, type PrismaClient } from '@photoplane/db';
import { ApplicationFailure } from '@temporalio/activity';
import type { ExportMember } from '../backup/export-archive.ts';
import { EXPORT_DOWNLOAD_PATH } from '../contracts/exports.ts';
import { hostTaskQueue } from '../contracts/index.ts';
import type { Mailer } from '../mail.ts';

export interface ExportActivityDeps {
  prisma: PrismaClient;
  mailer: Mailer;
  /** PHOTOPLANE_EXPORT_DIR: where the host activities write the archives (shared with the portal). */
  exportDir: string;
  /** PORTAL_PUBLIC_URL: the mailed link points at the portal, which serves the archive. */
  portalUrl: string;
  /** How long a link (and its archive) lives: PHOTOPLANE_EXPORT_LINK_DAYS, 3 by default. */
  linkDays: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

function refuse(message: string, type: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true });
}

export function createExportActivities(deps: ExportActivityDeps) {
  const { prisma } = deps;
  const now = deps.now ?? (() => new Date());

  function audit(instanceId: string, action: AuditAction, details: object) {
    return recordAudit(prisma, {
      actorType: 'system',
      actorId: null,
      action,
      targetType: 'instance',
      targetId: instanceId,
      instanceId,
      reason: null,
      details,
    });
  }

  async function ownerEmail(accountId: string): Promise<{ email: string; name: string | null } | null> {
    return prisma.account.findUnique({ where: { id: accountId }, select: { email: true, name: true } });
  }

  return {
    /** What the host needs to write the archive: the instance's placement and image, and its members. */
    async beginExport(input: { exportId: string }) {
      const row = await prisma.instanceExport.findUnique({ where: { id: input.exportId } });
      // The portal starts this workflow inside the transaction that makes the row (a refused start leaves none), so
      // the first attempt can run before that transaction commits: not found is retried (seen on a fast run).
      if (!row)
        throw ApplicationFailure.create({
          message: `export ${input.exportId} does not exist (yet)`,
          type: 'ExportNotFound',
          nonRetryable: false,
        });
      if (row.status !== 'running') throw refuse(`export ${input.exportId} is ${row.status}`, 'ExportNotRunning');
      const instance = await prisma.instance.findUnique({
        where: { id: row.instanceId },
        include: { dockerHost: true },
      });
      if (!instance?.dockerHost)
        throw refuse(`instance ${row.instanceId} is not placed on any Docker host`, 'NotPlaced');
      const members = await prisma.member.findMany({
        where: { instanceId: row.instanceId },
        orderBy: { createdAt: 'asc' },
      });
      const day = row.requestedAt.toISOString().slice(0, 10);
      return {
        instanceId: row.instanceId,
        subscriptionId: instance.subscriptionId,
        appImage: instance.imageRef,
        taskQueue: hostTaskQueue(instance.dockerHost.name),
        fileName: `${row.id}.tar`,
        top: `${instance.subdomain}-export-${day}`,
        members: members.map((m): ExportMember => ({
          email: m.email,
          name: m.name,
          role: m.role,
          status: m.status,
          quotaBytes: m.quotaBytes?.toString() ?? null,
          usedBytes: m.usageBytes.toString(),
          storageLabel: m.storageLabel,
          createdAt: m.createdAt.toISOString(),
        })),
      };
    },

    /**
     * Ready: a new link token (its hash stored), the expiry, the owner's e-mail. Failed: the reason recorded and the
     * owner told. A retry after the mail failed makes a new token; the first mail never went out.
     */
    async finishExport(input: {
      exportId: string;
      result?: { fileName: string; bytes: number; files: number };
      error?: string;
    }): Promise<{ expiresAt: string | null }> {
      const row = await prisma.instanceExport.findUniqueOrThrow({ where: { id: input.exportId } });
      const instance = await prisma.instance.findUniqueOrThrow({ where: { id: row.instanceId } });
      const owner = await ownerEmail(row.accountId);
      const r = input.result;
      if (!r) {
        await prisma.instanceExport.update({
          where: { id: row.id },
          data: { status: 'failed', finishedAt: now(), error: input.error ?? 'failed' },
        });
        await audit(row.instanceId, 'export.failed', { exportId: row.id, error: input.error });
        if (owner)
          await deps.mailer.send({
            to: owner.email,
            subject: `Your export of ${instance.subdomain} could not be made`,
            text: [
              `Hello${owner.name ? ` ${owner.name}` : ''},`,
              '',
              `The export of your photo library at ${instance.subdomain} you asked for could not be made.`,
              'Please ask for it again from your dashboard; if it fails again, write to support.',
            ].join('\n'),
          });
        return { expiresAt: null };
      }
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now().getTime() + deps.linkDays * DAY_MS);
      await prisma.instanceExport.update({
        where: { id: row.id },
        data: {
          status: 'ready',
          finishedAt: now(),
          expiresAt,
          fileName: r.fileName,
          bytes: BigInt(r.bytes),
          tokenHash: createHash('sha256').update(token, 'utf8').digest('hex'),
          error: null,
        },
      });
      await audit(row.instanceId, 'export.ready', { exportId: row.id, bytes: r.bytes, files: r.files });
      if (owner) {
        const link = `${deps.portalUrl}${EXPORT_DOWNLOAD_PATH}/${token}`;
        await deps.mailer.send({
          to: owner.email,
          subject: `Your export of ${instance.subdomain} is ready`,
          text: [
            `Hello${owner.name ? ` ${owner.name}` : ''},`,
            '',
            `The export of your photo library at ${instance.subdomain} is ready: ${r.files} files,`,
            `${(r.bytes / 1024 / 1024).toFixed(1)} MB, in one tar archive with your members list (JSON and CSV).`,
            '',
            `Download it here until ${expiresAt.toUTCString()}:`,
            link,
            '',
            'The link works for anyone who has it: do not forward this e-mail. After that date the archive is deleted;',
            'you can ask for a new export from your dashboard at any time.',
          ].join('\n'),
        });
      }
      return { expiresAt: expiresAt.toISOString() };
    },

    /**
     * Deletes the archives whose links have expired. The row stays, as history, with its token's hash: the link then
     * answers "expired" rather than "not valid", and the hash opens nothing any more.
     */
    async expireExports(): Promise<{ expired: string[] }> {
      const due = await prisma.instanceExport.findMany({ where: { status: 'ready', expiresAt: { lte: now() } } });
      const expired: string[] = [];
      for (const row of due) {
        await rm(path.join(deps.exportDir, row.fileName ?? `${row.id}.tar`), { force: true });
        await prisma.instanceExport.update({
          where: { id: row.id },
          data: { status: 'expired', fileName: null },
        });
        await audit(row.instanceId, 'export.expired', { exportId: row.id });
        expired.push(row.id);
      }
      return { expired };
    },
  };
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
