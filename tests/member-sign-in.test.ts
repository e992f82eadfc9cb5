// SPEC I1, M2, U4, U6 end to end, in a real browser: an owner buys an instance and invites a friend; the friend
// opens the e-mailed link, chooses a password on Photoplane's page at the instance's own address, opens the photo
// library, is sent to Photoplane's sign-in and lands in the photo app (the Immich stand-in, a real OpenID relying
// party) as themselves with the quota the owner gave them. From the photo app's "Manage your account" link they reach
// their account page, turn two-factor on with the QR code's key, and sign this browser out in their devices list,
// which ends the photo app's session within seconds. "Forgot your password?" mails a link that sets a new one; the
// next sign-in takes it and the code. The portal and worker are the processes
// `npm start` runs; the browser is Debian's chromium; screenshots are kept in tests/artifacts/member-sign-in.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { removeLabelled } from '@photoplane/infra/cleanup';
import { testStack, TEST_RUN_LABEL } from '@photoplane/infra/testing';
import Docker from 'dockerode';
import { ARTIFACTS_DIR, openBrowser, type BrowserSession } from './support/browser.ts';
import { customerKit } from './support/customer.ts';
import { startServices, type Services } from './support/services.ts';

const stack = testStack();
const FILE_LABEL = 'photoplane.test-file';
const fileLabel = `member-sign-in-${randomBytes(4).toString('hex')}`;
const docker = new Docker(
  stack.dockerHost.startsWith('unix://') ? { socketPath: stack.dockerHost.slice('unix://'.length) } : {},
);

let db: CreatedDatabase;
let prisma: PrismaClient;
let services: Services | undefined;
let session: BrowserSession | undefined;

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  services = await startServices({
    DATABASE_URL: db.url,
    TEMPORAL_TASK_QUEUE: `member-sign-in-${stack.runId}-${randomBytes(2).toString('hex')}`,
    PHOTOPLANE_DOCKER_HOST_NAME: `m${stack.runId}${randomBytes(2).toString('hex')}`,
    PHOTOPLANE_RESOURCE_LABELS: `${TEST_RUN_LABEL}=${stack.runId},${FILE_LABEL}=${fileLabel}`,
  });
});

after(async () => {
  await session?.close();
  await services?.stopAll();
  await removeLabelled(docker, FILE_LABEL, fileLabel);
  await prisma?.$disconnect();
  await db?.drop();
});

/** RFC 6238 (SHA-1, 6 digits, 30 s), as the member's authenticator app computes it from the enrolled secret. */
function totp(base32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('an invited friend registers, signs in through Photoplane, manages their account, resets their password, and uses the photo app as themselves', async () => {
  const kit = customerKit(services!, stack);
  const { api, mailTo, waitFor } = kit;
  const owner = await kit.buyInstance(prisma);

  // M2: the owner invites a friend with a 2 GiB quota; the invitation link points at the instance's own address.
  const friend = { email: `friend-${randomBytes(4).toString('hex')}@example.com`, name: 'Fran Friend' };
  const invited = await api('POST', `/v1/instances/${owner.subdomain}/members`, {
    token: owner.access,
    body: { ...friend, quotaGiB: 2, mode: 'invite' },
  });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const mail = await mailTo(friend.email, /invited/i);
  const link = new RegExp(`${owner.origin.replaceAll('.', '\\.')}/photoplane/register#token=[A-Za-z0-9_-]+`).exec(
    mail,
  )?.[0];
  assert.ok(link, `an invitation link at the instance's address in:\n${mail}`);

  session = await openBrowser('member-sign-in');
  const { page } = session;
  await page.goto(link);
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await session.check('register');
  const password = `friendly password ${randomBytes(3).toString('hex')}`;
  await page.getByLabel('Password (at least 12 characters)').fill(password);
  await page.getByLabel('Password again').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
  await session.check('registered');

  // I1: "Open the photo library" → the photo app starts OAuth → Photoplane's sign-in at the same address.
  await page.getByRole('link', { name: 'Open the photo library' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.ok(page.url().startsWith(`${owner.origin}/photoplane/interaction/`), page.url());
  await session.check('sign-in');
  await page.getByLabel('E-mail').fill(friend.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  // In the photo app, as themselves, with the quota the owner gave (not Immich's default, not unlimited).
  await page.waitForURL(`${owner.origin}/photos`);
  await page.locator('#account').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#user-name').textContent(), friend.name);
  assert.equal(await page.locator('#user-email').textContent(), friend.email);
  assert.equal(await page.locator('#user-role').textContent(), 'user');
  assert.match((await page.locator('#user-quota').textContent()) ?? '', /2 GiB \(2147483648 bytes\)/);
  // The photo app is the stand-in, not a page of ours: a screenshot, no accessibility verdict.
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'member-sign-in', '05-photo-app.png'), fullPage: true });

  // U1, U6: the photo app links to the member's account page at the same address; already signed in there.
  await page.getByRole('link', { name: 'Manage your account' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.equal(page.url(), `${owner.origin}/photoplane/account`);
  assert.match((await page.locator('main').textContent()) ?? '', /of 2\.0 GiB/);
  await session.check('account');
  await page.getByRole('button', { name: 'Set up two-factor' }).click();
  await page.getByRole('img', { name: /QR code/ }).waitFor();
  await session.check('account-two-factor-setup');
  const secret = (await page.locator('#totp-secret').textContent())!.trim();
  await page.getByLabel('Code from the app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on two-factor' }).click();
  await page.getByText('Two-factor authentication is on.').first().waitFor();

  // U4: the friend signs this browser out in their devices list; the photo app's session ends within seconds.
  const device = await prisma.session.findFirstOrThrow({
    where: { oidcSid: { not: null }, revokedAt: null, member: { email: friend.email } },
  });
  await page.getByRole('button', { name: 'Sign out this browser' }).click();
  await waitFor(
    "the photo app's session ended",
    () => prisma.session.findUniqueOrThrow({ where: { id: device.id } }),
    (d) => d.photoAppLogoutAt !== null,
    15_000,
  );
  await page.goto(`${owner.origin}/photos`);
  // Signed out of the photo app, and of Photoplane on this device: the sign-in form again.
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
  await session.check('signed-out-after-revoke');

  // Forgot password, at the instance's address: the e-mailed link sets a new one.
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
  await session.check('forgot-password');
  await page.getByLabel('E-mail').fill(friend.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
  const resetMail = await mailTo(friend.email, /reset your password/i);
  const resetLink = new RegExp(`${owner.origin.replaceAll('.', '\\.')}/photoplane/reset#token=[A-Za-z0-9_-]+`).exec(
    resetMail,
  )?.[0];
  assert.ok(resetLink, `a reset link at the instance's address in:\n${resetMail}`);
  await page.goto(resetLink);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await session.check('reset-password');
  const newPassword = `another friendly password ${randomBytes(3).toString('hex')}`;
  await page.getByLabel('New password (at least 12 characters)').fill(newPassword);
  await page.getByLabel('New password again').fill(newPassword);
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await page.getByRole('heading', { name: 'Password changed' }).waitFor();

  // Back to the photo library: the new password, then (two-factor being on now) the code.
  await page.getByRole('link', { name: 'Back to the photo library' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('E-mail').fill(friend.email);
  await page.getByLabel('Password').fill(newPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-factor code' }).waitFor();
  await session.check('two-factor');
  // A code of the step the confirmation used is spent; wait for the next one.
  const step = Math.floor(Date.now() / 30_000);
  while (Math.floor(Date.now() / 30_000) === step) await new Promise((r) => setTimeout(r, 500));
  await page.getByLabel('Code').fill(totp(secret));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${owner.origin}/photos`);
  await page.locator('#account').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#user-email').textContent(), friend.email);

  const unexpected = session.errors.filter((e) => !/Failed to load resource.*\/api\//.test(e));
  assert.deepEqual(unexpected, [], 'no console errors on any page');
});
