// The owner's export (SPEC F1), on the Docker host the instance runs on (its host queue): the library volume read
// through a helper container's archive API (as a backup reads it), re-packed with the members list into a tar in
// the exports folder, which the portal serves behind the e-mailed link.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import type Docker from 'dockerode';
import { readVolumeTar, withVolumeHelper } from '../backup/docker-data.ts';
import { writeExportArchive, type ExportMember } from '../backup/export-archive.ts';
import { buildInstanceStackSpec, instanceLabels, type Labels } from '../docker/index.ts';
import type { Secrets } from '../secrets.ts';
import type { StackProfile } from '../stack-profiles.ts';
import { withPermanentErrors } from './errors.ts';

export interface ExportHostActivityDeps {
  docker: Docker;
  secrets: Secrets;
  profile: StackProfile;
  /** PHOTOPLANE_EXPORT_DIR: shared with the portal, which serves the archives from it. */
  exportDir: string;
  extraLabels?: Labels;
}

export function createExportHostActivities(deps: ExportHostActivityDeps) {
  const { docker } = deps;
  return withPermanentErrors({
    /** Writes `<exportDir>/<fileName>`; a second run replaces the first (the name is the export's id). */
    async writeInstanceExport(input: {
      instanceId: string;
      subscriptionId: string;
      appImage: string | null;
      fileName: string;
      top: string;
      members: ExportMember[];
    }): Promise<{ bytes: number; files: number }> {
      const s = buildInstanceStackSpec({
        ...deps.profile,
        ...(input.appImage ? { images: { ...deps.profile.images, app: input.appImage } } : {}),
        instanceId: input.instanceId,
        subscriptionId: input.subscriptionId,
        database: { password: deps.secrets.databasePassword(input.instanceId) },
        ...(deps.extraLabels ? { extraLabels: deps.extraLabels } : {}),
      });
      await mkdir(deps.exportDir, { recursive: true, mode: 0o700 });
      const beat = setInterval(() => heartbeat(), 5_000);
      try {
        return await withVolumeHelper(
          docker,
          {
            volume: s.volumes.library.Name,
            image: s.containers.app.Image,
            readOnly: true,
            labels: {
              ...instanceLabels({
                instanceId: input.instanceId,
                subscriptionId: input.subscriptionId,
                role: 'library',
                ...(deps.extraLabels ? { extra: deps.extraLabels } : {}),
              }),
              'photoplane.backup-helper': 'true',
            },
            namePrefix: `pp-${input.instanceId}`,
          },
          async (helper) =>
            writeExportArchive({
              volumeTar: await readVolumeTar(helper),
              file: path.join(deps.exportDir, input.fileName),
              top: input.top,
              members: input.members,
            }),
        );
      } finally {
        clearInterval(beat);
      }
    },
  });
}

export type ExportHostActivities = ReturnType<typeof createExportHostActivities>;
