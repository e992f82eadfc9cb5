// The owner's export routes (SPEC F1) over the real PostgreSQL: who may ask, what is recorded and audited, the
// download behind a link (Content-Disposition, the bytes of the archive), expired and unknown links answered with
// a page. The export workflow is recorded here instead of run (a port that records the start); the real one runs
// end to end, mail and archive included, in tests/owner-export.test.ts.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ExportInstanceInput } from '@photoplane/provisioner/contracts';
import { call, instanceOwnedBy, signedInAccount, startHarness, type Harness } from './members-harness.ts';

let h: Harness;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-exports-'));
const started: { instanceId: string; input: ExportInstanceInput }[] = [];
let refuseStart = false;

before(async () => {
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined }, undefined, {
    exports: {
      dir,
      starter: {
        async startExport(instanceId, input) {
          if (refuseStart) throw new Error('temporal is down');
          started.push({ instanceId, input });
        },
      },
    },
  });
});

after(async () => {
  await h?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ExportView {
  id: string;
  status: string;
  expiresAt: string | null;
  downloads: number;
}

/** What the worker leaves when an export is ready: the archive in the folder, the token's hash on the row. */
function makeReady(exportId: string, content: Buffer, expiresAt: Date) {
  const token = randomBytes(32).toString('base64url');
  fs.writeFileSync(path.join(dir, `${exportId}.tar`), content);
  return h.prisma.instanceExport
    .update({
      where: { id: exportId },
      data: {
        status: 'ready',
        finishedAt: new Date(),
        expiresAt,
        fileName: `${exportId}.tar`,
        bytes: BigInt(content.length),
        tokenHash: createHash('sha256').update(token).digest('hex'),
      },
    })
    .then(() => token);
}

test('the owner asks for an export: the workflow is started with the new row, audited; a second ask while it runs is refused', async () => {
  const { owner, instance, subdomain } = await instanceOwnedBy(h);
  const res = await call(h, 'POST', `/v1/instances/${subdomain}/exports`, owner.token);
  assert.equal(res.statusCode, 202, res.body);
  const view = res.json<ExportView>();
  assert.equal(view.status, 'running');
  assert.deepEqual(started.at(-1), { instanceId: instance.id, input: { exportId: view.id } });
  const audit = await h.prisma.auditEvent.findMany({ where: { instanceId: instance.id, action: 'export.requested' } });
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.actorId, owner.account.id);

  const again = await call(h, 'POST', `/v1/instances/${subdomain}/exports`, owner.token);
  assert.equal(again.statusCode, 409, again.body);
  assert.equal(again.json<{ errors: { field: string }[] }>().errors[0]!.field, 'subdomain');

  const list = await call(h, 'GET', `/v1/instances/${subdomain}/exports`, owner.token);
  assert.equal(list.statusCode, 200);
  assert.deepEqual(
    list.json<{ exports: ExportView[] }>().exports.map((e) => [e.id, e.status]),
    [[view.id, 'running']],
  );
});

test('another customer, or nobody signed in, cannot ask for or list the export of an instance', async () => {
  const { subdomain } = await instanceOwnedBy(h);
  const stranger = await signedInAccount(h);
  const before = started.length;
  assert.equal((await call(h, 'POST', `/v1/instances/${subdomain}/exports`, stranger.token)).statusCode, 404);
  assert.equal((await call(h, 'GET', `/v1/instances/${subdomain}/exports`, stranger.token)).statusCode, 404);
  assert.equal((await call(h, 'POST', `/v1/instances/${subdomain}/exports`)).statusCode, 401);
  assert.equal(started.length, before);
  assert.equal(await h.prisma.instanceExport.count({ where: { accountId: stranger.account.id } }), 0);
});

test('a start Temporal refuses leaves no row and no audit behind', async () => {
  const { owner, instance, subdomain } = await instanceOwnedBy(h);
  refuseStart = true;
  try {
    const res = await call(h, 'POST', `/v1/instances/${subdomain}/exports`, owner.token);
    assert.equal(res.statusCode, 500);
  } finally {
    refuseStart = false;
  }
  assert.equal(await h.prisma.instanceExport.count({ where: { instanceId: instance.id } }), 0);
  assert.equal(await h.prisma.auditEvent.count({ where: { instanceId: instance.id, action: 'export.requested' } }), 0);
});

test('an instance without a library (deprovisioned) cannot be exported: 409 naming the state', async () => {
  const { owner, instance, subdomain } = await instanceOwnedBy(h);
  await h.prisma.instance.update({ where: { id: instance.id }, data: { state: 'deprovisioned' } });
  const res = await call(h, 'POST', `/v1/instances/${subdomain}/exports`, owner.token);
  assert.equal(res.statusCode, 409, res.body);
  assert.equal(res.json<{ errors: { field: string }[] }>().errors[0]!.field, 'state');
});

test('the mailed link downloads the archive as an attachment and counts it; expired and unknown links answer a page', async () => {
  const { owner, instance, subdomain } = await instanceOwnedBy(h);
  const asked = (await call(h, 'POST', `/v1/instances/${subdomain}/exports`, owner.token)).json<ExportView>();
  const content = randomBytes(70_000);
  const token = await makeReady(asked.id, content, new Date(Date.now() + 86_400_000));

  const res = await h.app.inject({ method: 'GET', url: `/v1/exports/${token}` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/x-tar');
  assert.match(
    String(res.headers['content-disposition']),
    new RegExp(`^attachment; filename="${subdomain}-export-\\d{4}-\\d{2}-\\d{2}\\.tar"$`),
  );
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(res.rawPayload.equals(content), 'the archive as written');
  const row = await h.prisma.instanceExport.findUniqueOrThrow({ where: { id: asked.id } });
  assert.equal(row.downloads, 1);
  assert.notEqual(row.tokenHash, token, 'only the hash is stored');
  const downloaded = await h.prisma.auditEvent.findMany({
    where: { instanceId: instance.id, action: 'export.downloaded' },
  });
  assert.equal(downloaded.length, 1);

  // The link's time is up (the hourly expiry has not run yet): refused with a page that says so.
  await h.prisma.instanceExport.update({ where: { id: asked.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const expired = await h.app.inject({ method: 'GET', url: `/v1/exports/${token}` });
  assert.equal(expired.statusCode, 410);
  assert.match(String(expired.headers['content-type']), /^text\/html/);
  assert.match(expired.body, /This download link has expired/);
  assert.ok(!expired.rawPayload.includes(content.subarray(0, 64)));

  const unknown = await h.app.inject({ method: 'GET', url: `/v1/exports/${randomBytes(32).toString('base64url')}` });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.body, /This download link is not valid/);
  // The list shows the owner what happened.
  const list = (await call(h, 'GET', `/v1/instances/${subdomain}/exports`, owner.token)).json<{
    exports: ExportView[];
  }>();
  assert.equal(list.exports[0]!.downloads, 1);
});

test("a link's archive deleted from the folder answers the expired page, not an error", async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const asked = (await call(h, 'POST', `/v1/instances/${subdomain}/exports`, owner.token)).json<ExportView>();
  const token = await makeReady(asked.id, Buffer.from('x'), new Date(Date.now() + 86_400_000));
  fs.rmSync(path.join(dir, `${asked.id}.tar`));
  const res = await h.app.inject({ method: 'GET', url: `/v1/exports/${token}` });
  assert.equal(res.statusCode, 410);
});
