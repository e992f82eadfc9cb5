// End to end, the owner's export of their library (SPEC F1; seed 001: download before deletion) through the
// processes `npm start` runs: the owner buys an instance and uploads photos through its photo app, asks for an
// export on the web dashboard (in Chromium), the worker packs the library volume read through Docker and mails a
// link; the link downloads a tar holding the same photos (checksums) and the members; once expired the link is
// refused with a page, and the expiry workflow deletes the archive.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { removeLabelled } from '@photoplane/infra/cleanup';
import { testStack, TEST_RUN_LABEL } from '@photoplane/infra/testing';
import { exportWorkflowNames, type ExpireExportsResult } from '@photoplane/provisioner/contracts';
import { Client, Connection } from '@temporalio/client';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { openBrowser, type BrowserSession } from './support/browser.ts';
import { customerKit } from './support/customer.ts';
import { instanceBrowser, signIn, uploadBody } from './support/instance-browser.ts';
import { startServices, type Services } from './support/services.ts';

const stack = testStack();
const FILE_LABEL = 'photoplane.test-file';
const fileLabel = `owner-export-${randomBytes(4).toString('hex')}`;
const taskQueue = `owner-export-${stack.runId}-${randomBytes(2).toString('hex')}`;
const docker = new Docker(
  stack.dockerHost.startsWith('unix://') ? { socketPath: stack.dockerHost.slice('unix://'.length) } : {},
);
const exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-exports-'));

let db: CreatedDatabase;
let prisma: PrismaClient;
let services: Services | undefined;
let session: BrowserSession | undefined;
let connection: Connection | undefined;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  services = await startServices({
    DATABASE_URL: db.url,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PHOTOPLANE_DOCKER_HOST_NAME: `x${stack.runId}${randomBytes(2).toString('hex')}`,
    PHOTOPLANE_RESOURCE_LABELS: `${TEST_RUN_LABEL}=${stack.runId},${FILE_LABEL}=${fileLabel}`,
    PHOTOPLANE_EXPORT_DIR: exportDir,
  });
});

after(async () => {
  await session?.close();
  await connection?.close();
  await services?.stopAll();
  await removeLabelled(docker, FILE_LABEL, fileLabel);
  await prisma?.$disconnect();
  await db?.drop();
  fs.rmSync(exportDir, { recursive: true, force: true });
});

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Every regular file of a tar: its name and the SHA-256 of its content. */
async function filesOf(archive: Buffer): Promise<Map<string, { sha: string; text: string }>> {
  const files = new Map<string, { sha: string; text: string }>();
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c);
    const content = Buffer.concat(chunks);
    if (entry.header.type === 'file')
      files.set(entry.header.name, { sha: sha256(content), text: content.subarray(0, 4096).toString() });
  }
  return files;
}

test('the owner exports the library from the dashboard, the mailed link downloads the photos (by checksum) and members, and an expired link is refused', async () => {
  const kit = customerKit(services!, stack);
  const { api, mailTo, waitFor } = kit;
  const owner = await kit.buyInstance(prisma);

  // Photos uploaded through the photo app, as the owner (signed in through Photoplane).
  const b = instanceBrowser();
  const appToken = await signIn(b, owner.origin, owner);
  const photos = ['beach.jpg', 'forest.jpg', 'birthday.jpg'].map((name) => ({
    name,
    content: `${name} ${randomBytes(20_000).toString('base64')}`,
  }));
  for (const p of photos) {
    const res = await b.go(`${owner.origin}/api/assets`, { token: appToken, ...uploadBody(p.name, p.content) });
    assert.equal(res.status, 201, res.text);
  }

  // The dashboard, in Chromium: the owner asks for the export there.
  session = await openBrowser('owner-export', { baseURL: services!.portalUrl });
  const { page } = session;
  await page.goto('/login?next=%2Fdashboard');
  await page.getByLabel('E-mail address').fill(owner.email);
  await page.getByLabel('Password').fill(owner.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Download your library' }).waitFor();
  await session.check('dashboard-before');
  await page.getByRole('button', { name: 'Export my library' }).click();
  await page.getByText('We will e-mail you a download link').waitFor();
  await session.check('dashboard-asked');

  const mail = await mailTo(owner.email, /export .* is ready/i);
  const link = new RegExp(`${services!.portalUrl.replaceAll('.', '\\.')}/v1/exports/[A-Za-z0-9_-]{43}`).exec(mail)?.[0];
  assert.ok(link, `a download link to the portal in:\n${mail}`);
  const row = await waitFor(
    'the export recorded as ready',
    () => prisma.instanceExport.findFirst({ where: { status: 'ready' } }),
    (r) => r !== null,
  );
  assert.notEqual(row!.tokenHash, link.split('/').pop(), 'only the hash of the token is stored');
  await page.reload();
  await page.getByTestId('exports').getByText('Ready: the download link is in your e-mail').waitFor();
  await session.check('dashboard-ready');

  // Following the link: the archive, as an attachment, holding the same photos and the members.
  const res = await fetch(link);
  assert.equal(res.status, 200);
  assert.match(
    res.headers.get('content-disposition') ?? '',
    new RegExp(`^attachment; filename="${owner.subdomain}-export-`),
  );
  const archive = Buffer.from(await res.arrayBuffer());
  const files = await filesOf(archive);
  const shas = new Set([...files.values()].map((f) => f.sha));
  for (const p of photos) assert.ok(shas.has(sha256(p.content)), `${p.name} is in the archive by its checksum`);
  const top = `${owner.subdomain}-export-`;
  const names = [...files.keys()];
  assert.ok(
    names.every((n) => n.startsWith(top)),
    names.join('\n'),
  );
  const members = [...files].find(([n]) => n.endsWith('/members.json'))?.[1];
  assert.ok(members, names.join('\n'));
  assert.ok(
    (JSON.parse(members.text) as { members: { email: string; role: string }[] }).members.some(
      (m) => m.email === owner.email && m.role === 'owner',
    ),
  );
  assert.ok(!names.some((n) => n.endsWith('photo-app-standin.json')), "the photo app's own database is not exported");
  assert.ok(fs.existsSync(path.join(exportDir, `${row!.id}.tar`)));

  // Audited: asked by the owner, made by the worker, downloaded by the link.
  const actions = (await prisma.auditEvent.findMany({ where: { instanceId: row!.instanceId } })).map((a) => a.action);
  for (const action of ['export.requested', 'export.ready', 'export.downloaded'])
    assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);

  // Days later: the link is refused with a page that says so, and the expiry deletes the archive.
  await prisma.instanceExport.update({ where: { id: row!.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  const expired = await fetch(link);
  assert.equal(expired.status, 410);
  assert.match(await expired.text(), /This download link has expired/);
  connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.temporalNamespace });
  const result = await client.workflow.execute<() => Promise<ExpireExportsResult>>(exportWorkflowNames.expireExports, {
    taskQueue,
    workflowId: `exports-expiry-${randomBytes(4).toString('hex')}`,
    args: [],
  });
  assert.deepEqual(result.expired, [row!.id]);
  assert.ok(!fs.existsSync(path.join(exportDir, `${row!.id}.tar`)), 'the archive is deleted');
  assert.equal((await fetch(link)).status, 410);
  assert.equal((await api('GET', `/v1/instances/${owner.subdomain}/exports`, { token: owner.access })).status, 200);
  assert.deepEqual(session.errors, []);
});
