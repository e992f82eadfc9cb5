// The owner's export (SPEC F1): the library volume's tar, as Docker's archive API gives it, re-packed into one tar
// for the owner: the photos' originals and the library folders under `<top>/`, the members list as JSON and CSV
// beside them. What the photo app derives (thumbnails, transcoded videos) and its own database or database dumps
// are left out: they are not the owner's photos, and a dump holds every member's password hash.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { HELPER_MOUNT } from './docker-data.ts';

/**
 * The folders of the volume that go into an export: Immich's storage layout (and the stand-in's, which copies it):
 * `library/` (the storage template's folders), `upload/` (originals not yet moved there) and `profile/` (profile
 * pictures).
 */
export const EXPORTED_FOLDERS = ['library', 'upload', 'profile'] as const;

export interface ExportMember {
  email: string;
  name: string;
  role: string;
  status: string;
  quotaBytes: string | null;
  usedBytes: string | null;
  storageLabel: string | null;
  createdAt: string;
}

export interface ExportArchiveResult {
  bytes: number;
  /** Regular files taken from the volume. */
  files: number;
}

function csvField(value: string | null): string {
  const v = value ?? '';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function membersCsv(members: ExportMember[]): string {
  const columns: (keyof ExportMember)[] = [
    'email',
    'name',
    'role',
    'status',
    'quotaBytes',
    'usedBytes',
    'storageLabel',
    'createdAt',
  ];
  const lines = [columns.join(','), ...members.map((m) => columns.map((c) => csvField(m[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}

/** `library/upload/x.jpg` (the helper's mount first) → `upload/x.jpg`, or null when it is not exported. */
export function exportedPath(entryName: string): string | null {
  const mount = HELPER_MOUNT.replace(/^\/+/, '');
  const name = entryName.replace(/^\.?\/+/, '');
  if (!name.startsWith(`${mount}/`)) return null;
  const inside = name.slice(mount.length + 1);
  const top = inside.split('/')[0] ?? '';
  if (!(EXPORTED_FOLDERS as readonly string[]).includes(top)) return null;
  if (inside.split('/').includes('..')) return null;
  return inside;
}

/**
 * Writes the export to `file` (through a temporary name, renamed when complete, so a half-written archive is never
 * served). `top` is the archive's single top folder, e.g. `anna-export-2026-12-01`.
 */
export async function writeExportArchive(opts: {
  volumeTar: Readable;
  file: string;
  top: string;
  members: ExportMember[];
  onProgress?: () => void;
}): Promise<ExportArchiveResult> {
  const extract = tar.extract();
  const pack = tar.pack();
  const partial = `${opts.file}.partial`;
  let files = 0;
  let bytes = 0;
  const mtime = new Date();

  extract.on('entry', (header, stream, next) => {
    const inside = exportedPath(header.name);
    const keep = inside !== null && (header.type === 'file' || header.type === 'directory');
    if (!keep) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    opts.onProgress?.();
    if (header.type === 'file') files += 1;
    const out = pack.entry({ ...header, name: `${opts.top}/${inside}`, uname: '', gname: '', uid: 0, gid: 0 }, next);
    stream.pipe(out);
  });
  extract.on('finish', () => {
    const json = Buffer.from(JSON.stringify({ members: opts.members }, null, 2) + '\n');
    pack.entry({ name: `${opts.top}/members.json`, mtime, mode: 0o644 }, json);
    pack.entry({ name: `${opts.top}/members.csv`, mtime, mode: 0o644 }, membersCsv(opts.members));
    pack.finalize();
  });

  const sink = createWriteStream(partial, { mode: 0o600 });
  try {
    await Promise.all([
      pipeline(opts.volumeTar, extract),
      pipeline(
        pack,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            bytes += chunk.length;
            yield chunk;
          }
        },
        sink,
      ),
    ]);
    await rename(partial, opts.file);
  } catch (e) {
    pack.destroy();
    await rm(partial, { force: true });
    throw e;
  }
  return { bytes, files };
}
