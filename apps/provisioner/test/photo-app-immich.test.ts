// The Immich adapter against the photo-app stand-in (tests/photo-app-standin): the real binary, started here on
// 127.0.0.1 with its own port and media folder, answering with Immich's paths, payloads and messages. No stack
// service is needed.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { defaults, init, uploadAsset } from '@immich/sdk';
import { createImmichPhotoApp, PhotoAppError, type PhotoApp } from '../src/photo-app/index.ts';

const GiB = 2n ** 30n;
const standinDir = fileURLToPath(new URL('../../../tests/photo-app-standin/', import.meta.url));
const standinBinary = path.join(standinDir, 'bin', 'photo-app-standin');

interface Standin {
  url: string;
  media: string;
  stop(): Promise<void>;
}

const running = new Set<Standin>();

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function startStandin(): Promise<Standin> {
  if (!existsSync(standinBinary)) execFileSync(path.join(standinDir, 'build.sh'), { cwd: standinDir, stdio: 'ignore' });
  const media = mkdtempSync(path.join(tmpdir(), 'photo-app-standin-'));
  const port = await freePort();
  const child: ChildProcess = spawn(standinBinary, [], {
    env: { PATH: process.env.PATH, IMMICH_HOST: '127.0.0.1', IMMICH_PORT: String(port), IMMICH_MEDIA_LOCATION: media },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const standin: Standin = {
    url: `http://127.0.0.1:${port}`,
    media,
    async stop() {
      running.delete(standin);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(media, { recursive: true, force: true });
    },
  };
  running.add(standin);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await standin.stop();
      throw new Error(`the stand-in exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${standin.url}/api/server/ping`);
      if (res.ok) return standin;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await standin.stop();
      throw new Error(`the stand-in did not answer /api/server/ping within 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

const OWNER = { email: 'owner@example.com', name: 'Owner', password: 'owner-password-1' };

let main: Standin;
let ownerApp: Promise<PhotoApp> | undefined;

/** The owner's key-authenticated adapter on the main stand-in, signing the owner up if no test did yet. */
function owner(): Promise<PhotoApp> {
  ownerApp ??= (async () => {
    const anonymous = createImmichPhotoApp({ baseUrl: main.url });
    await anonymous.signUpAdmin(OWNER);
    const session = await anonymous.login(OWNER);
    const key = await createImmichPhotoApp({ baseUrl: main.url, accessToken: session.accessToken }).createApiKey(
      'photoplane',
    );
    return createImmichPhotoApp({ baseUrl: main.url, apiKey: key.secret });
  })();
  return ownerApp;
}

before(async () => {
  main = await startStandin();
});

after(async () => {
  await Promise.all([...running].map((s) => s.stop()));
});

test('ping and version answer without credentials', async () => {
  const app = createImmichPhotoApp({ baseUrl: main.url });
  await app.ping();
  assert.deepEqual(await app.version(), { major: 3, minor: 2, patch: 2, text: '3.2.2' });
});

test('the owner signs up as the first admin and a second admin sign-up is reported as already-initialised', async () => {
  const app = createImmichPhotoApp({ baseUrl: main.url });
  assert.equal(await app.isInitialised(), false);

  const first = await app.signUpAdmin(OWNER);
  assert.equal(first.outcome, 'created');
  assert.ok(first.outcome === 'created');
  assert.equal(first.admin.email, OWNER.email);
  assert.equal(first.admin.isAdmin, true);
  assert.equal(first.admin.status, 'active');
  assert.equal(await app.isInitialised(), true);

  assert.deepEqual(await app.signUpAdmin({ email: 'intruder@example.com', name: 'Other', password: 'other-pass-1' }), {
    outcome: 'already-initialised',
  });
  // A retried provisioning step signs the same owner up again: same distinct answer, no error.
  assert.deepEqual(await app.signUpAdmin(OWNER), { outcome: 'already-initialised' });
});

test('a sign-up with invalid input is an error, not already-initialised, on a fresh instance', async () => {
  const fresh = await startStandin();
  try {
    const app = createImmichPhotoApp({ baseUrl: fresh.url });
    await assert.rejects(app.signUpAdmin({ email: 'not-an-email', name: 'X', password: 'pw-123456' }), (e) => {
      assert.ok(e instanceof PhotoAppError);
      assert.equal(e.status, 400);
      assert.equal(e.operation, 'signUpAdmin');
      assert.match(e.message, /email/);
      return true;
    });
    assert.equal(await app.isInitialised(), false);
  } finally {
    await fresh.stop();
  }
});

test('an API key created after login authenticates later calls: a fresh adapter holding only the key lists users', async () => {
  const anonymous = createImmichPhotoApp({ baseUrl: main.url });
  await anonymous.signUpAdmin(OWNER);
  const session = await anonymous.login(OWNER);
  assert.equal(session.email, OWNER.email);
  assert.equal(session.isAdmin, true);

  const key = await createImmichPhotoApp({ baseUrl: main.url, accessToken: session.accessToken }).createApiKey(
    unique('photoplane'),
  );
  assert.ok(key.secret.length >= 20, 'the secret is returned once, in full');

  const byKey = createImmichPhotoApp({ baseUrl: main.url, apiKey: key.secret });
  const users = await byKey.listUsers();
  assert.ok(users.some((u) => u.email === OWNER.email && u.isAdmin));
  assert.ok(!inspect(byKey, { depth: 5 }).includes(key.secret), 'the adapter does not expose the key it was given');
  assert.ok(!JSON.stringify(byKey).includes(key.secret));
});

test('a created user shows its quota and storage label in listUsers and usage, as bigint bytes', async () => {
  const app = await owner();
  const label = unique('anna');
  const created = await app.createUser({
    email: `${label}@example.com`,
    name: 'Anna',
    password: 'initial-pass-1',
    quotaBytes: 5n * GiB,
    storageLabel: label,
    shouldChangePassword: true,
  });
  assert.equal(created.quotaBytes, 5n * GiB);
  assert.equal(created.storageLabel, label);
  assert.equal(created.shouldChangePassword, true);
  assert.equal(created.isAdmin, false);

  const listed = (await app.listUsers()).find((u) => u.id === created.id);
  assert.ok(listed);
  assert.equal(typeof listed.quotaBytes, 'bigint');
  assert.equal(listed.quotaBytes, 5n * GiB);
  assert.equal(listed.storageLabel, label);

  const usage = (await app.usage()).users.find((u) => u.userId === created.id);
  assert.deepEqual(usage, {
    userId: created.id,
    userName: 'Anna',
    usageBytes: 0n,
    quotaBytes: 5n * GiB,
    photos: 0,
    videos: 0,
  });
});

test("a duplicate storage label is refused as a PhotoAppError with status 400 and Immich's message", async () => {
  const app = await owner();
  const label = unique('shared');
  await app.createUser({
    email: `${label}-1@example.com`,
    name: 'First',
    password: 'initial-pass-1',
    quotaBytes: null,
    storageLabel: label,
    shouldChangePassword: true,
  });
  const secondEmail = `${label}-2@example.com`;
  await assert.rejects(
    app.createUser({
      email: secondEmail,
      name: 'Second',
      password: 'initial-pass-2',
      quotaBytes: null,
      storageLabel: label,
      shouldChangePassword: true,
    }),
    (e) => {
      assert.ok(e instanceof PhotoAppError);
      assert.equal(e.status, 400);
      assert.equal(e.operation, 'createUser');
      assert.equal(e.message, 'Storage label already in use by another account');
      assert.equal(e.retryable, false);
      return true;
    },
  );
  assert.ok(!(await app.listUsers()).some((u) => u.email === secondEmail), 'nothing was created');
});

test('a quota updated to unlimited (null) round-trips, and back to a finite quota', async () => {
  const app = await owner();
  const created = await app.createUser({
    email: `${unique('ben')}@example.com`,
    name: 'Ben',
    password: 'initial-pass-1',
    quotaBytes: GiB,
    shouldChangePassword: false,
  });
  assert.equal(created.storageLabel, null);

  const unlimited = await app.updateUser(created.id, { quotaBytes: null });
  assert.equal(unlimited.quotaBytes, null);
  assert.equal((await app.listUsers()).find((u) => u.id === created.id)?.quotaBytes, null);
  assert.equal((await app.usage()).users.find((u) => u.userId === created.id)?.quotaBytes, null);

  const big = 3n * 2n ** 40n;
  assert.equal((await app.updateUser(created.id, { quotaBytes: big })).quotaBytes, big);
  assert.equal((await app.listUsers()).find((u) => u.id === created.id)?.quotaBytes, big);
});

test('a quota beyond Number.MAX_SAFE_INTEGER is refused with a clear error before any request', async () => {
  let requests = 0;
  const app = createImmichPhotoApp({
    baseUrl: main.url,
    apiKey: 'unused',
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
  });
  const tooBig = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
  await assert.rejects(
    app.createUser({
      email: 'x@example.com',
      name: 'X',
      password: 'pw-123456',
      quotaBytes: tooBig,
      shouldChangePassword: true,
    }),
    { name: 'RangeError', message: /quotaBytes 9007199254740992 .*MAX_SAFE_INTEGER/ },
  );
  await assert.rejects(app.updateUser('00000000-0000-0000-0000-000000000000', { quotaBytes: tooBig }), RangeError);
  await assert.rejects(app.updateUser('00000000-0000-0000-0000-000000000000', { quotaBytes: -1n }), /negative/);
  assert.equal(requests, 0);
});

test('a soft-deleted user cannot log in, is listed as deleted, and is restored by restoreUser', async () => {
  const app = await owner();
  const anonymous = createImmichPhotoApp({ baseUrl: main.url });
  const credentials = { email: `${unique('cleo')}@example.com`, password: 'cleo-pass-1' };
  const created = await app.createUser({ ...credentials, name: 'Cleo', quotaBytes: null, shouldChangePassword: false });
  await anonymous.login(credentials);

  const deleted = await app.deleteUser(created.id, { force: false });
  assert.equal(deleted.status, 'deleted');
  assert.ok(deleted.deletedAt);
  assert.equal((await app.listUsers()).find((u) => u.id === created.id)?.status, 'deleted');
  assert.ok(!(await app.listUsers({ includeDeleted: false })).some((u) => u.id === created.id));
  await assert.rejects(anonymous.login(credentials), { name: 'PhotoAppError', status: 401 });

  // Not due yet (Immich's default delay is 7 days): the clean-up job keeps it.
  await app.purgeDeletedUsers();
  assert.equal((await app.listUsers()).find((u) => u.id === created.id)?.status, 'deleted');

  const restored = await app.restoreUser(created.id);
  assert.equal(restored.status, 'active');
  assert.equal(restored.deletedAt, null);
  assert.equal((await anonymous.login(credentials)).userId, created.id);
});

test('a force delete removes the user', async () => {
  const app = await owner();
  const created = await app.createUser({
    email: `${unique('dan')}@example.com`,
    name: 'Dan',
    password: 'initial-pass-1',
    quotaBytes: GiB,
    shouldChangePassword: true,
  });
  const removed = await app.deleteUser(created.id, { force: true });
  assert.equal(removed.status, 'removing');
  assert.ok(!(await app.listUsers()).some((u) => u.id === created.id), 'gone, deleted users included');
  assert.ok(!(await app.usage()).users.some((u) => u.userId === created.id));
});

test("usage reflects an upload made with the member's own login token; the storage migration applies a new label", async () => {
  const app = await owner();
  const credentials = { email: `${unique('eve')}@example.com`, password: 'eve-pass-1' };
  const created = await app.createUser({ ...credentials, name: 'Eve', quotaBytes: GiB, shouldChangePassword: false });
  const session = await createImmichPhotoApp({ baseUrl: main.url }).login(credentials);

  // As Immich's clients do: multipart POST /api/assets with the user's session token, here through the SDK with
  // per-call options.
  const bytes = randomBytes(12_345);
  const uploaded = await uploadAsset(
    {
      assetMediaCreateDto: {
        assetData: new File([bytes], 'beach.jpg', { type: 'image/jpeg' }),
        filename: 'beach.jpg',
        fileCreatedAt: '2024-07-01T10:00:00.000Z',
        fileModifiedAt: '2024-07-01T10:00:00.000Z',
      },
    },
    { baseUrl: `${main.url}/api`, headers: { Authorization: `Bearer ${session.accessToken}` } },
  );
  assert.equal(uploaded.status, 'created');

  const usage = await app.usage();
  const mine = usage.users.find((u) => u.userId === created.id);
  assert.deepEqual(mine && { usageBytes: mine.usageBytes, photos: mine.photos }, { usageBytes: 12_345n, photos: 1 });
  assert.ok(usage.totalBytes >= 12_345n);
  assert.equal((await app.listUsers()).find((u) => u.id === created.id)?.usageBytes, 12_345n);

  // Changing the label moves nothing until the storage-template migration runs.
  const label = unique('eve');
  await app.updateUser(created.id, { storageLabel: label });
  const library = path.join(main.media, 'library');
  const before = existsSync(library) ? readdirSync(library) : [];
  assert.ok(!before.includes(label));
  await app.runStorageMigration();
  assert.ok(readdirSync(library).includes(label), 'the file now lives under the new storage label');
});

test('a call with a wrong API key fails with status 401 and the key does not appear in the error', async () => {
  const wrongKey = `wrong-${randomBytes(16).toString('hex')}`;
  const app = createImmichPhotoApp({ baseUrl: main.url, apiKey: wrongKey });
  const error = await app.listUsers().then(
    () => assert.fail('listUsers succeeded with a wrong key'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PhotoAppError);
  assert.equal(error.status, 401);
  assert.equal(error.operation, 'listUsers');
  assert.equal(error.message, 'Invalid API key');
  for (const text of [error.message, String(error.stack), inspect(error, { depth: 5 }), JSON.stringify(error)]) {
    assert.ok(!text.includes(wrongKey), `the key leaked into: ${text}`);
  }
});

test('an unreachable photo app is a retryable PhotoAppError without a status', async () => {
  const app = createImmichPhotoApp({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: 'some-key' });
  await assert.rejects(app.ping(), (e) => {
    assert.ok(e instanceof PhotoAppError);
    assert.equal(e.status, null);
    assert.equal(e.retryable, true);
    assert.match(e.message, /unreachable \(ECONNREFUSED\)/);
    return true;
  });
});

test('two adapters for two stand-ins on two ports do not interfere, whatever the SDK globals say', async () => {
  const [b, c] = await Promise.all([startStandin(), startStandin()]);
  const globalKey = `global-${randomBytes(8).toString('hex')}`;
  const seen: { url: string; headers: Headers }[] = [];
  const recording: typeof fetch = (input, init) => {
    seen.push({ url: String(input instanceof Request ? input.url : input), headers: new Headers(init?.headers) });
    return fetch(input, init);
  };
  // Someone else in the process configured the SDK the global way; the adapters must neither use nor leak it.
  init({ baseUrl: 'http://127.0.0.1:9/api', apiKey: globalKey });
  try {
    const setUp = async (standin: Standin, ownerEmail: string) => {
      const anonymous = createImmichPhotoApp({ baseUrl: standin.url, fetch: recording });
      const signUp = await anonymous.signUpAdmin({ email: ownerEmail, name: 'Owner', password: 'owner-pass-1' });
      assert.equal(signUp.outcome, 'created');
      const session = await anonymous.login({ email: ownerEmail, password: 'owner-pass-1' });
      const key = await createImmichPhotoApp({
        baseUrl: standin.url,
        accessToken: session.accessToken,
        fetch: recording,
      }).createApiKey('photoplane');
      return { app: createImmichPhotoApp({ baseUrl: standin.url, apiKey: key.secret, fetch: recording }), key };
    };
    const [onB, onC] = await Promise.all([setUp(b, 'b-owner@example.com'), setUp(c, 'c-owner@example.com')]);

    // The same e-mail on two instances is two unrelated members, created concurrently.
    const member = { email: 'same@example.com', name: 'Same', password: 'member-pass-1', shouldChangePassword: true };
    const [onBUser, onCUser] = await Promise.all([
      onB.app.createUser({ ...member, quotaBytes: GiB, storageLabel: 'same' }),
      onC.app.createUser({ ...member, quotaBytes: 2n * GiB, storageLabel: 'same' }),
    ]);
    assert.notEqual(onBUser.id, onCUser.id);

    const [usersB, usersC] = await Promise.all([onB.app.listUsers(), onC.app.listUsers()]);
    assert.deepEqual(usersB.map((u) => [u.email, u.quotaBytes]).sort(), [
      ['b-owner@example.com', null],
      ['same@example.com', GiB],
    ]);
    assert.deepEqual(usersC.map((u) => [u.email, u.quotaBytes]).sort(), [
      ['c-owner@example.com', null],
      ['same@example.com', 2n * GiB],
    ]);

    // A key is only good on the instance that issued it.
    await assert.rejects(
      createImmichPhotoApp({ baseUrl: c.url, apiKey: onB.key.secret }).listUsers(),
      (e) => e instanceof PhotoAppError && e.status === 401,
    );

    assert.ok(seen.length > 0);
    for (const { url, headers } of seen) {
      assert.ok(url.startsWith(`${b.url}/api/`) || url.startsWith(`${c.url}/api/`), `request to ${url}`);
      assert.notEqual(headers.get('x-api-key'), globalKey, 'the global key never leaves the process');
      if (headers.has('x-api-key')) {
        const key = url.startsWith(b.url) ? onB.key.secret : onC.key.secret;
        assert.equal(headers.get('x-api-key'), key, "each instance only ever sees its own adapter's key");
      }
    }
  } finally {
    defaults.baseUrl = '/api';
    defaults.headers = {};
    await Promise.all([b.stop(), c.stop()]);
  }
});

test('the system config is read whole and written back whole; a refused write names the field and never the client secret', async () => {
  const app = await owner();
  const before = await app.getConfig();
  for (const section of ['oauth', 'passwordLogin', 'storageTemplate', 'user', 'server'])
    assert.equal(typeof before[section], 'object', `${section} is read`);
  const secret = `secret-${Date.now()}`;
  const saved = await app.updateConfig({
    ...before,
    oauth: {
      ...before.oauth,
      enabled: true,
      clientId: 'client-1',
      clientSecret: secret,
      issuerUrl: 'https://x.example.com/photoplane',
    },
    user: { ...before.user, deleteDelay: 9 },
  });
  assert.equal(saved.oauth?.clientSecret, secret);
  assert.equal((await app.getConfig()).user?.deleteDelay, 9);
  assert.deepEqual((await app.getConfig()).trash, before.trash, 'sections not changed are kept');

  await assert.rejects(
    app.updateConfig({ ...saved, user: { deleteDelay: 0 }, oauth: { ...saved.oauth, clientSecret: secret } }),
    (e: unknown) => {
      assert.ok(e instanceof PhotoAppError);
      assert.equal(e.status, 400);
      assert.match(e.message, /deleteDelay/);
      assert.ok(!e.message.includes(secret));
      return true;
    },
  );
  assert.equal((await app.getConfig()).user?.deleteDelay, 9, 'nothing of a refused write is applied');
});
