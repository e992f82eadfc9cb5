// The owner's export of their library (SPEC F1; seed 001: users download their library before deletion): what the
// portal needs to start the export workflow. Types and constants only.

export const exportWorkflowNames = {
  exportInstance: 'exportInstanceWorkflow',
  expireExports: 'expireExportsWorkflow',
} as const;

/** One export of an instance at a time: a second request while one is being made is refused by Temporal. */
export function exportWorkflowId(instanceId: string): string {
  return `instance-export-${instanceId}`;
}

/** The Temporal Schedule that deletes the archives whose links have expired. */
export const EXPORT_EXPIRY_SCHEDULE_ID = 'exports-expiry';

/** The portal serves an archive at `<portal>/v1/exports/<token>`; the worker mails that link. */
export const EXPORT_DOWNLOAD_PATH = '/v1/exports';

export interface ExportInstanceInput {
  /** The InstanceExport row the portal opened (status running). */
  exportId: string;
}

export interface ExportInstanceResult {
  exportId: string;
  fileName: string;
  bytes: number;
  files: number;
  expiresAt: string;
}

export interface ExpireExportsResult {
  expired: string[];
}
