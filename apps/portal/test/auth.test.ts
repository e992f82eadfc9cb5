// Portal accounts and sessions (SPEC P1, P2) end to end: the app over the real PostgreSQL, e-mail through
// nodemailer to a real SMTP server in this process, read back with mailparser.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createPrismaClient, type PrismaClient } from '@photoplane/db';
import { createTestDatabase, type CreatedDatabase } from '@photoplane/db/testing';
import { pino } from 'pino';
import { startSmtpInbox, type Mail, type SmtpInbox } from './support/smtp-inbox.ts';
import { REDACTED_PATHS, type App } from '../src/app.ts';
import type { Portal } from '../src/portal.ts';
import type { MailService } from '../src/platform/mail.service.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
const ISSUER = 'photoplane-test';
const AUDIENCE = 'photoplane-portal';
const ACCESS_TTL = 900;
const LOGIN_LIMIT = 5;
const ACCOUNT_DELAY_MS = 400;
const PUBLIC_LIMIT = 20;
const PUBLIC_URL = 'http://portal.test';

interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

let db: CreatedDatabase;
let prisma: PrismaClient;
let smtp: SmtpInbox | undefined;
let mail: MailService;
let portal: Portal;
let app: App;
const logLines: string[] = [];
/** Every password and token the tests handle; none may show up in the log. */
const secrets = new Set<string>();

before(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);

  smtp = await startSmtpInbox();

  const logger = pino(
    { level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  portal = await startTestPortal({
    prisma,
    logger,
    config: testPortalConfig(db.url, {
      JWT_SECRET,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL),
      REFRESH_TOKEN_TTL_SECONDS: String(30 * 24 * 3600),
      PORTAL_PUBLIC_URL: PUBLIC_URL,
      LOGIN_ATTEMPTS_PER_MINUTE: String(LOGIN_LIMIT),
      LOGIN_ACCOUNT_DELAY_MS: String(ACCOUNT_DELAY_MS),
      TRUST_PROXY: EDGE_IP,
    }),
    overrides: {
      mailTransport: smtp.transport(),
      publicRateLimit: { max: PUBLIC_LIMIT, timeWindowMs: 60_000 },
    },
  });
  ({ app, mail } = portal);
  await app.ready();
});

after(async () => {
  await portal?.close();
  await smtp?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

// --- helpers ------------------------------------------------------------------------------------------------

/** The edge (Caddy) in front of the portal: the only peer whose X-Forwarded-For is believed (TRUST_PROXY). */
const EDGE_IP = '10.254.0.1';
let ipCounter = 0;
/** A client address of its own for each caller, so the per-IP login limit only bites where a test wants it. */
const freshIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;
let emailCounter = 0;
const freshEmail = (label: string) => `${label}-${++emailCounter}@example.com`;

async function nextMailTo(address: string, timeoutMs = 5000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = smtp!.inbox.findIndex((m) => m.to === address);
    if (i >= 0) return smtp!.inbox.splice(i, 1)[0]!;
    if (Date.now() > deadline) throw new Error(`no e-mail to ${address} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tokenIn(mailText: string, path: string): string {
  const match = new RegExp(`${PUBLIC_URL}${path}#token=([A-Za-z0-9_-]+)`).exec(mailText);
  assert.ok(match, `a ${path} link in:\n${mailText}`);
  secrets.add(match[1]!);
  return match[1]!;
}

function post(url: string, payload: object, ip = freshIp()) {
  return app.inject({ method: 'POST', url, payload, remoteAddress: ip });
}

function withBearer(method: 'GET' | 'POST', url: string, accessToken: string) {
  return app.inject({ method, url, headers: { authorization: `Bearer ${accessToken}` } });
}

async function signUp(email: string, password: string, name?: string) {
  secrets.add(password);
  return post('/v1/auth/signup', { email, password, ...(name ? { name } : {}) });
}

/** Signs up and follows the e-mailed link; returns the password. */
async function createVerifiedAccount(email: string): Promise<string> {
  const password = `correct horse ${email}`;
  assert.equal((await signUp(email, password)).statusCode, 202);
  const token = tokenIn((await nextMailTo(email)).text, '/verify-email');
  assert.equal((await post('/v1/auth/verify-email', { token })).statusCode, 204);
  return password;
}

async function logIn(email: string, password: string, ip = freshIp()): Promise<TokenPair> {
  const res = await post('/v1/auth/login', { email, password }, ip);
  assert.equal(res.statusCode, 200, res.body);
  const pair = res.json<TokenPair>();
  secrets.add(pair.accessToken).add(pair.refreshToken);
  return pair;
}

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtPayload = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** A JWT made by hand, so the test does not trust the library it is testing. No key: unsigned. */
function forgeJwt(header: object, payload: object, key?: string): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = key ? createHmac('sha256', key).update(input).digest('base64url') : '';
  return `${input}.${signature}`;
}

function assertProblem(res: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
}

// --- tests --------------------------------------------------------------------------------------------------

test('sign up, follow the e-mailed link, log in and read /v1/me', async () => {
  const email = freshEmail('ada');
  const password = 'a long enough passphrase';
  const signUpRes = await signUp(email, password, 'Ada Lovelace');
  assert.equal(signUpRes.statusCode, 202);

  const message = await nextMailTo(email);
  assert.match(message.subject, /confirm your e-mail/i);
  const token = tokenIn(message.text, '/verify-email');
  assert.equal(Buffer.from(token, 'base64url').length, 32);

  // Only hashes at rest: the token's SHA-256, and an argon2id hash with OWASP's parameters.
  const account = await prisma.account.findUniqueOrThrow({
    where: { emailNormalized: email },
    include: { tokens: true },
  });
  assert.match(account.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(account.tokens.length, 1);
  assert.equal(account.tokens[0]!.tokenHash, createHash('sha256').update(token).digest('hex'));
  assert.equal(account.emailVerifiedAt, null);

  const unverified = await post('/v1/auth/login', { email, password });
  assertProblem(unverified, 401);

  assert.equal((await post('/v1/auth/verify-email', { token })).statusCode, 204);
  const again = await post('/v1/auth/verify-email', { token });
  assertProblem(again, 410);

  const pair = await logIn(email, password);
  assert.equal(pair.expiresIn, ACCESS_TTL);
  const header = JSON.parse(Buffer.from(pair.accessToken.split('.')[0]!, 'base64url').toString('utf8')) as {
    alg: string;
  };
  assert.equal(header.alg, 'HS256');
  const claims = jwtPayload(pair.accessToken);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.aud, AUDIENCE);
  assert.equal(claims.sub, account.id);
  assert.equal(typeof claims.sid, 'string');
  assert.equal(Number(claims.exp) - Number(claims.iat), ACCESS_TTL);

  const me = await withBearer('GET', '/v1/me', pair.accessToken);
  assert.equal(me.statusCode, 200, me.body);
  assert.deepEqual(me.json(), { id: account.id, email, name: 'Ada Lovelace', role: 'customer', emailVerified: true });

  const session = await prisma.session.findUniqueOrThrow({ where: { id: String(claims.sid) } });
  assert.equal(session.realm, 'portal');
  assert.equal(session.refreshTokenHash, createHash('sha256').update(pair.refreshToken).digest('hex'));
});

test('signing up with an address that has an account answers identically and mails its owner a notice', async () => {
  const email = freshEmail('taken');
  const first = await signUp(email, 'the first password!');
  tokenIn((await nextMailTo(email)).text, '/verify-email');
  const before = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: email } });

  const second = await signUp(` ${email.toUpperCase()} `, 'someone else password');
  const fresh = await signUp(freshEmail('fresh'), 'yet another password');
  assert.equal(second.statusCode, 202);
  assert.deepEqual([second.statusCode, second.body], [first.statusCode, first.body]);
  assert.deepEqual([fresh.statusCode, fresh.body], [first.statusCode, first.body]);

  const notice = await nextMailTo(email);
  assert.match(notice.subject, /tried to sign up/i);
  assert.doesNotMatch(notice.text, /#token=/, 'the notice carries no verification link');
  const after = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: email } });
  assert.equal(after.passwordHash, before.passwordHash, 'the second sign-up does not change the password');
  assert.equal(await prisma.account.count({ where: { emailNormalized: email } }), 1);
});

test('an expired verification link answers 410, an unknown one 400, and neither verifies', async () => {
  const email = freshEmail('late');
  await signUp(email, 'slow to open my mail');
  const token = tokenIn((await nextMailTo(email)).text, '/verify-email');
  await prisma.accountToken.updateMany({
    where: { account: { emailNormalized: email } },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  assertProblem(await post('/v1/auth/verify-email', { token }), 410);
  const unknown = await post('/v1/auth/verify-email', { token: 'A'.repeat(43) });
  assertProblem(unknown, 400);
  assert.deepEqual(unknown.json<{ errors: unknown }>().errors, [
    { field: 'token', message: 'This link is not valid.' },
  ]);
  const account = await prisma.account.findUniqueOrThrow({ where: { emailNormalized: email } });
  assert.equal(account.emailVerifiedAt, null);
});

test('unknown address, wrong password and unconfirmed address get the identical 401, and are recorded', async () => {
  const known = freshEmail('known');
  const password = await createVerifiedAccount(known);
  const unconfirmed = freshEmail('unconfirmed');
  await signUp(unconfirmed, 'not confirmed yet, sorry');
  await nextMailTo(unconfirmed);

  const ip = freshIp();
  const unknownRes = await post('/v1/auth/login', { email: freshEmail('nobody'), password }, ip);
  const wrongRes = await post('/v1/auth/login', { email: known, password: `${password}!` }, ip);
  const unconfirmedRes = await post('/v1/auth/login', { email: unconfirmed, password: 'not confirmed yet, sorry' }, ip);
  for (const res of [unknownRes, wrongRes, unconfirmedRes]) assertProblem(res, 401);
  assert.equal(wrongRes.body, unknownRes.body);
  assert.equal(unconfirmedRes.body, unknownRes.body);

  await logIn(known, password, ip);
  const attempts = await prisma.loginAttempt.findMany({ where: { clientIp: ip }, orderBy: { at: 'asc' } });
  assert.deepEqual(
    attempts.map((a) => [a.realm, a.status, a.accountId !== null]),
    [
      ['portal', 'failed', false],
      ['portal', 'failed', true],
      ['portal', 'failed', true],
      ['portal', 'succeeded', true],
    ],
  );
  assert.equal(attempts[1]!.email, known);
});

test('expired, tampered, wrong-audience, wrong-issuer and unsigned access tokens are refused with 401', async () => {
  const email = freshEmail('jwt');
  const pair = await logIn(email, await createVerifiedAccount(email));
  const { sub, sid } = jwtPayload(pair.accessToken);
  const now = Math.floor(Date.now() / 1000);
  const good = { sub, sid, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60 };
  const hs256 = { alg: 'HS256', typ: 'JWT' };

  // The forging helper itself makes tokens the portal accepts, so each refusal below is about what was changed.
  assert.equal((await withBearer('GET', '/v1/me', forgeJwt(hs256, good, JWT_SECRET))).statusCode, 200);

  const [h, , s] = pair.accessToken.split('.');
  const tampered = `${h}.${b64url({ ...jwtPayload(pair.accessToken), sub: '00000000-0000-4000-8000-000000000000' })}.${s}`;
  const refused: Record<string, string> = {
    expired: forgeJwt(hs256, { ...good, iat: now - 3600, exp: now - 60 }, JWT_SECRET),
    tampered,
    'wrong audience': forgeJwt(hs256, { ...good, aud: 'photoplane-instance' }, JWT_SECRET),
    'wrong issuer': forgeJwt(hs256, { ...good, iss: 'someone-else' }, JWT_SECRET),
    'alg none': forgeJwt({ alg: 'none', typ: 'JWT' }, good),
    'other key': forgeJwt(hs256, good, 'another-secret-that-is-at-least-32-characters'),
    'unknown session': forgeJwt(hs256, { ...good, sid: '00000000-0000-4000-8000-000000000000' }, JWT_SECRET),
    garbage: 'not-a-jwt',
  };
  for (const [label, token] of Object.entries(refused)) {
    const res = await withBearer('GET', '/v1/me', token);
    assert.equal(res.statusCode, 401, `${label}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, label);
  }
  const missing = await app.inject({ method: 'GET', url: '/v1/me' });
  assertProblem(missing, 401);
});

test('a token accepted (and remembered as verified) is refused the moment it expires', async () => {
  const email = freshEmail('jwtexp');
  const pair = await logIn(email, await createVerifiedAccount(email));
  const { sub, sid } = jwtPayload(pair.accessToken);
  const now = Math.floor(Date.now() / 1000);
  const shortLived = forgeJwt(
    { alg: 'HS256', typ: 'JWT' },
    { sub, sid, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 2 },
    JWT_SECRET,
  );
  assert.equal((await withBearer('GET', '/v1/me', shortLived)).statusCode, 200);
  assert.equal((await withBearer('GET', '/v1/me', shortLived)).statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 50));
  const res = await withBearer('GET', '/v1/me', shortLived);
  assertProblem(res, 401);
  assert.match(res.json<{ detail: string }>().detail, /expired/);
});

test('refresh rotates the token; replaying a used one revokes the whole sign-in', async () => {
  const email = freshEmail('rotate');
  const first = await logIn(email, await createVerifiedAccount(email));

  const res = await post('/v1/auth/refresh', { refreshToken: first.refreshToken });
  assert.equal(res.statusCode, 200, res.body);
  const second = res.json<TokenPair>();
  secrets.add(second.accessToken).add(second.refreshToken);
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.equal(jwtPayload(second.accessToken).sub, jwtPayload(first.accessToken).sub);
  // An access token from before the refresh stays good until it expires: the sign-in is still live.
  assert.equal((await withBearer('GET', '/v1/me', first.accessToken)).statusCode, 200);
  assert.equal((await withBearer('GET', '/v1/me', second.accessToken)).statusCode, 200);

  const replay = await post('/v1/auth/refresh', { refreshToken: first.refreshToken });
  assertProblem(replay, 401);
  // The replay ended the sign-in: the newest refresh token and every access token of the family are refused.
  assertProblem(await post('/v1/auth/refresh', { refreshToken: second.refreshToken }), 401);
  assertProblem(await withBearer('GET', '/v1/me', second.accessToken), 401);
  assertProblem(await withBearer('GET', '/v1/me', first.accessToken), 401);

  const family = await prisma.session.findMany({ where: { id: String(jwtPayload(first.accessToken).sid) } });
  const sessions = await prisma.session.findMany({ where: { familyId: family[0]!.familyId } });
  assert.equal(sessions.length, 2);
  assert.ok(sessions.every((s) => s.revokedAt !== null));
  const audit = await prisma.auditEvent.findFirst({
    where: { action: 'session.refresh_token_reused', targetId: String(jwtPayload(first.accessToken).sub) },
  });
  assert.ok(audit, 'the reuse is in the audit log');

  assertProblem(await post('/v1/auth/refresh', { refreshToken: 'A'.repeat(43) }), 401);
});

test('logout revokes the sign-in at once and leaves other sign-ins alone', async () => {
  const email = freshEmail('logout');
  const password = await createVerifiedAccount(email);
  const laptop = await logIn(email, password);
  const phone = await logIn(email, password);

  const res = await withBearer('POST', '/v1/auth/logout', laptop.accessToken);
  assert.equal(res.statusCode, 204, res.body);
  assertProblem(await withBearer('GET', '/v1/me', laptop.accessToken), 401);
  assertProblem(await post('/v1/auth/refresh', { refreshToken: laptop.refreshToken }), 401);
  assertProblem(await withBearer('POST', '/v1/auth/logout', laptop.accessToken), 401);

  assert.equal((await withBearer('GET', '/v1/me', phone.accessToken)).statusCode, 200);
  assert.equal((await post('/v1/auth/refresh', { refreshToken: phone.refreshToken })).statusCode, 200);
});

test('password reset: the same answer for unknown addresses, a link that works once, and every session ended', async () => {
  const email = freshEmail('forgot');
  const oldPassword = await createVerifiedAccount(email);
  const session = await logIn(email, oldPassword);
  const nobody = freshEmail('nobody');

  const known = await post('/v1/auth/password-reset/request', { email });
  const unknown = await post('/v1/auth/password-reset/request', { email: nobody });
  assert.equal(known.statusCode, 202);
  assert.deepEqual([unknown.statusCode, unknown.body], [known.statusCode, known.body]);

  const message = await nextMailTo(email);
  assert.match(message.subject, /reset your/i);
  const token = tokenIn(message.text, '/reset-password');
  await mail.flush();
  assert.equal(
    smtp!.inbox.filter((m) => m.to === nobody).length,
    0,
    'nothing is sent to an address without an account',
  );

  const newPassword = 'a brand new passphrase';
  secrets.add(newPassword);
  const weak = await post('/v1/auth/password-reset/confirm', { token, password: 'short' });
  assertProblem(weak, 400);
  assert.equal((await post('/v1/auth/password-reset/confirm', { token, password: newPassword })).statusCode, 204);
  assertProblem(await post('/v1/auth/password-reset/confirm', { token, password: 'and yet another one' }), 410);

  assertProblem(await withBearer('GET', '/v1/me', session.accessToken), 401);
  assertProblem(await post('/v1/auth/refresh', { refreshToken: session.refreshToken }), 401);
  assertProblem(await post('/v1/auth/login', { email, password: oldPassword }), 401);
  await logIn(email, newPassword);
});

test('sign-in is throttled per client address (all accounts) with 429, and throttled tries are recorded', async () => {
  const ip = freshIp();
  for (let i = 0; i < 3 * LOGIN_LIMIT; i++)
    assertProblem(await post('/v1/auth/login', { email: freshEmail('spray'), password: 'guess guess guess' }, ip), 401);
  const blockedIp = await post('/v1/auth/login', { email: freshEmail('spray'), password: 'guess guess guess' }, ip);
  assertProblem(blockedIp, 429);
  assert.ok(Number(blockedIp.headers['retry-after']) > 0, 'Retry-After says when to come back');
  const byIp = await prisma.loginAttempt.groupBy({ by: ['status'], where: { clientIp: ip }, _count: true });
  assert.deepEqual(Object.fromEntries(byIp.map((g) => [g.status, g._count])), {
    failed: 3 * LOGIN_LIMIT,
    throttled: 1,
  });
});

test('lock-out attempts on an account do not stop its owner signing in from another address; they only delay', async () => {
  const target = freshEmail('target');
  const password = await createVerifiedAccount(target);
  // One attacker address guessing the account: refused after the limit, even with the right password.
  const attacker = freshIp();
  for (let i = 0; i < LOGIN_LIMIT; i++)
    assertProblem(await post('/v1/auth/login', { email: target, password: `wrong guess ${i}` }, attacker), 401);
  const blocked = await post('/v1/auth/login', { email: target.toUpperCase(), password }, attacker);
  assertProblem(blocked, 429);
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  // Many more addresses guessing it: past the account's limit each try is delayed, none is refused.
  for (let i = 0; i < LOGIN_LIMIT; i++) {
    const started = Date.now();
    assertProblem(await post('/v1/auth/login', { email: target, password: `spread guess ${i}` }), 401);
    assert.ok(Date.now() - started >= ACCOUNT_DELAY_MS, 'a try past the account limit waits');
  }

  // The owner, from their own address, still gets in with the right password (after the same delay).
  const started = Date.now();
  const owner = await post('/v1/auth/login', { email: target, password });
  assert.equal(owner.statusCode, 200, owner.body);
  assert.ok(Date.now() - started >= ACCOUNT_DELAY_MS, "the owner's sign-in was delayed, not refused");
  secrets.add(owner.json<TokenPair>().refreshToken);

  const onTarget = await prisma.loginAttempt.findMany({ where: { email: { equals: target, mode: 'insensitive' } } });
  const count = (status: string) => onTarget.filter((a) => a.status === status).length;
  assert.deepEqual([count('failed'), count('throttled'), count('succeeded')], [2 * LOGIN_LIMIT, 1, 1]);
  assert.ok(onTarget.find((a) => a.status === 'throttled')!.accountId, 'the throttled try names its account');
});

test('unauthenticated routes are rate-limited per client address: 429 problem+json with Retry-After', async () => {
  const ip = freshIp();
  for (let i = 0; i < PUBLIC_LIMIT; i++) {
    const res = await post('/v1/auth/password-reset/request', { email: freshEmail('nobody') }, ip);
    assert.equal(res.statusCode, 202, res.body);
  }
  const limited = await post('/v1/auth/password-reset/request', { email: freshEmail('nobody') }, ip);
  assertProblem(limited, 429);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  assert.equal((await post('/v1/auth/password-reset/request', { email: freshEmail('nobody') })).statusCode, 202);

  // Refresh too: guessing refresh tokens from one address stops at the limit.
  for (let i = 0; i < PUBLIC_LIMIT; i++)
    assertProblem(await post('/v1/auth/refresh', { refreshToken: `guess-${i}-${'x'.repeat(40)}` }, ip), 401);
  assertProblem(await post('/v1/auth/refresh', { refreshToken: `guess-last-${'x'.repeat(40)}` }, ip), 429);
  // Sign-up is one of them; the budget is per route, so sign-up from this address still works once.
  assert.equal(
    (await post('/v1/auth/signup', { email: freshEmail('later'), password: 'a fine long password' }, ip)).statusCode,
    202,
  );
});

test('bodies are validated: unknown fields and weak passwords are refused naming the field', async () => {
  const extra = await post('/v1/auth/login', { email: freshEmail('x'), password: 'whatever it is', remember: true });
  assertProblem(extra, 400);
  assert.deepEqual(extra.json<{ errors: unknown }>().errors, [
    { field: 'body.remember', message: 'is not a known field' },
  ]);

  const weak = await signUp(freshEmail('weak'), 'elevenchars');
  assertProblem(weak, 400);
  assert.deepEqual(
    weak.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
    ['body.password'],
  );
  const badEmail = await signUp('not-an-address', 'long enough password');
  assertProblem(badEmail, 400);
  assert.equal(badEmail.json<{ errors: { field: string }[] }>().errors[0]?.field, 'body.email');
});

test('the OpenAPI document lists the auth routes with their error responses', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
    paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>;
  }>();
  for (const path of [
    '/v1/auth/signup',
    '/v1/auth/verify-email',
    '/v1/auth/login',
    '/v1/auth/refresh',
    '/v1/auth/logout',
    '/v1/auth/password-reset/request',
    '/v1/auth/password-reset/confirm',
  ])
    assert.ok(doc.paths[path]?.post, path);
  // Its own answers, and those of the body parser (413, 415), the public limiter (429), Node's HTTP parser (431) and
  // the hashing queue (503).
  assert.deepEqual(Object.keys(doc.paths['/v1/auth/login']!.post!.responses).sort(), [
    '200',
    '400',
    '401',
    '413',
    '415',
    '429',
    '431',
    '503',
  ]);
  assert.deepEqual(doc.paths['/v1/me']!.get!.security, [{ bearerAuth: [] }]);
});

test('no password or token ever reaches the log', async () => {
  // A handler that logged a body by mistake would still be covered by the redaction paths.
  app.log.info(
    { body: { password: 'leaky password 1', refreshToken: 'leaky-token-1', token: 'leaky-token-2' } },
    'probe',
  );
  secrets.add('leaky password 1').add('leaky-token-1').add('leaky-token-2');
  await mail.flush();
  const log = logLines.join('');
  assert.match(log, /\/v1\/auth\/login/, 'requests were logged, so the check below means something');
  assert.match(log, /"probe"/);
  assert.ok(secrets.size > 20, `${secrets.size} secrets collected`);
  for (const secret of secrets) assert.equal(log.includes(secret), false, `a secret is in the log`);
});

test('behind the trusted edge a sign-in is recorded with the client address it forwards; anyone else cannot claim one', async () => {
  const email = freshEmail('proxied');
  const password = await createVerifiedAccount(email);
  const viaEdge = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password },
    remoteAddress: EDGE_IP,
    headers: { 'x-forwarded-for': '203.0.113.7' },
  });
  assert.equal(viaEdge.statusCode, 200, viaEdge.body);
  const direct = freshIp();
  const spoofed = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password: 'not the password' },
    remoteAddress: direct,
    headers: { 'x-forwarded-for': '203.0.113.8' },
  });
  assert.equal(spoofed.statusCode, 401);
  const attempts = await prisma.loginAttempt.findMany({ where: { email }, orderBy: { at: 'asc' } });
  assert.deepEqual(
    attempts.map((a) => [a.clientIp, a.status]),
    [
      ['203.0.113.7', 'succeeded'],
      [direct, 'failed'],
    ],
  );
});
