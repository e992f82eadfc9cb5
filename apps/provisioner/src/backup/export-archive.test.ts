// The export's archive from a volume tar as Docker's archive API gives it: originals and library folders kept under
// one top folder, what the photo app derives and its database left out, the members list beside them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { exportedPath, membersCsv, writeExportArchive, type ExportMember } from './export-archive.ts';

function volumeTar(entries: Record<string, string | null>): Readable {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(entries))
    if (content === null) pack.entry({ name, type: 'directory' });
    else pack.entry({ name }, content);
  pack.finalize();
  return pack;
}

async function readTar(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tar.extract();
  for await (const entry of fs.createReadStream(file).pipe(extract)) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c);
    out.set(entry.header.name, Buffer.concat(chunks).toString());
  }
  return out;
}

const member: ExportMember = {
  email: 'ann@example.org',
  name: 'Ann, "the owner"',
  role: 'owner',
  status: 'active',
  quotaBytes: null,
  usedBytes: '42',
  storageLabel: 'ann',
  createdAt: '2026-12-01T00:00:00.000Z',
};

test('only library/, upload/ and profile/ of the volume go in, under the top folder, with the members as JSON and CSV', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-archive-'));
  try {
    const file = path.join(dir, 'x.tar');
    const result = await writeExportArchive({
      volumeTar: volumeTar({
        'library/': null,
        'library/upload/': null,
        'library/upload/u1/ab/cd/photo.jpg': 'JPEG-1',
        'library/library/ann/2026/photo2.jpg': 'JPEG-2',
        'library/profile/u1/me.jpg': 'FACE',
        'library/thumbs/u1/photo.webp': 'THUMB',
        'library/encoded-video/u1/v.mp4': 'VIDEO',
        'library/backups/immich-db-backup.sql.gz': 'SECRET DUMP',
        'library/photo-app-standin.json': '{"users":[{"password":"hash"}]}',
      }),
      file,
      top: 'ann-export-2026-12-01',
      members: [member],
    });
    assert.equal(result.files, 3);
    assert.equal(result.bytes, fs.statSync(file).size);
    assert.ok(!fs.existsSync(`${file}.partial`));
    const got = await readTar(file);
    assert.deepEqual([...got.keys()].filter((k) => !k.endsWith('/')).sort(), [
      'ann-export-2026-12-01/library/ann/2026/photo2.jpg',
      'ann-export-2026-12-01/members.csv',
      'ann-export-2026-12-01/members.json',
      'ann-export-2026-12-01/profile/u1/me.jpg',
      'ann-export-2026-12-01/upload/u1/ab/cd/photo.jpg',
    ]);
    assert.equal(got.get('ann-export-2026-12-01/upload/u1/ab/cd/photo.jpg'), 'JPEG-1');
    assert.deepEqual(JSON.parse(got.get('ann-export-2026-12-01/members.json')!), { members: [member] });
    assert.equal(
      got.get('ann-export-2026-12-01/members.csv'),
      'email,name,role,status,quotaBytes,usedBytes,storageLabel,createdAt\r\n' +
        'ann@example.org,"Ann, ""the owner""",owner,active,,42,ann,2026-12-01T00:00:00.000Z\r\n',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a volume tar that breaks off leaves no archive (and no partial file) behind', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-archive-'));
  try {
    const file = path.join(dir, 'x.tar');
    const broken = new Readable({
      read() {
        this.destroy(new Error('connection to the engine lost'));
      },
    });
    await assert.rejects(writeExportArchive({ volumeTar: broken, file, top: 't', members: [] }), /engine lost/);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('paths outside the exported folders or climbing out are not exported', () => {
  assert.equal(exportedPath('library/upload/a.jpg'), 'upload/a.jpg');
  assert.equal(exportedPath('library/upload/../../etc/passwd'), null);
  assert.equal(exportedPath('library/thumbs/a.webp'), null);
  assert.equal(exportedPath('other/upload/a.jpg'), null);
  assert.equal(membersCsv([]), 'email,name,role,status,quotaBytes,usedBytes,storageLabel,createdAt\r\n');
});
