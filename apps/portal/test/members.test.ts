// Instance members through the portal API (SPEC M1-M8, tenancy rules) over the real PostgreSQL, with invitation
// e-mails through a real SMTP server. The photo-app sync is recorded here; members-sync.test.ts runs it for real.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { SyncMemberInput } from '@photoplane/provisioner/contracts';
import {
  call,
  GIB,
  instanceOwnedBy,
  invitationToken,
  nextMailTo,
  signedInAccount,
  startHarness,
  unique,
  type Harness,
} from './members-harness.ts';

let h: Harness;
const synced: SyncMemberInput[] = [];
const configApplied: string[] = [];

before(async () => {
  h = await startHarness({
    syncMember: async (input) => {
      synced.push(input);
    },
    applyPhotoAppConfig: async ({ instanceId }) => {
      configApplied.push(instanceId);
    },
  });
});

after(async () => {
  await h?.close();
});

interface MemberView {
  id: string;
  email: string;
  status: string;
  quotaGiB: number;
  storageLabel: string | null;
  mustChangePassword: boolean;
  noLogin: boolean;
  deletion: { deleteAt: string; immediate: boolean } | null;
}

const members = (subdomain: string) => `/v1/instances/${subdomain}/members`;

async function addMember(subdomain: string, token: string, body: Record<string, unknown>) {
  const res = await call(h, 'POST', members(subdomain), token, { name: 'Someone', ...body });
  return res;
}

async function addWithPassword(subdomain: string, token: string, extra: Record<string, unknown> = {}) {
  const email = `${unique('m')}@example.com`;
  const res = await addMember(subdomain, token, { email, mode: 'password', ...extra });
  assert.equal(res.statusCode, 201, res.body);
  const body = res.json<{ member: MemberView; password: string }>();
  h.secrets.add(body.password);
  return { email, member: body.member, password: body.password };
}

async function memberLogin(subdomain: string, email: string, password: string) {
  return call(h, 'POST', `/v1/instances/${subdomain}/auth/login`, undefined, { email, password });
}

async function memberToken(subdomain: string, email: string, password: string) {
  const res = await memberLogin(subdomain, email, password);
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json<{ accessToken: string; mustChangePassword: boolean }>();
  h.secrets.add(body.accessToken);
  return body;
}

test('invite: the e-mailed single-use link registers the member, who then signs in at the instance', async () => {
  const { owner, subdomain, instance } = await instanceOwnedBy(h);
  const email = `${unique('invitee')}@example.com`;
  const res = await addMember(subdomain, owner.token, {
    email: email.toUpperCase(),
    name: 'Ivy',
    mode: 'invite',
    quotaGiB: 2,
  });
  assert.equal(res.statusCode, 201, res.body);
  const created = res.json<{ member: MemberView; password?: string; invitationExpiresAt: string }>();
  assert.equal(created.member.status, 'invited');
  assert.equal(created.member.quotaGiB, 2);
  assert.equal(created.password, undefined, 'no password in invite mode');

  const mail = await nextMailTo(h, email.toUpperCase());
  assert.match(mail.subject, /invited/i);
  const token = invitationToken(h, mail, subdomain);
  const stored = await h.prisma.invitation.findFirstOrThrow({ where: { memberId: created.member.id } });
  assert.equal(stored.tokenHash, createHash('sha256').update(token).digest('hex'), 'only the SHA-256 is stored');
  assert.equal(stored.instanceId, instance.id);

  // Not signed in yet: the invited member cannot log in.
  assert.equal((await memberLogin(subdomain, email, 'whatever password 1')).statusCode, 401);

  const password = 'my own long password';
  h.secrets.add(password);
  const register = await call(h, 'POST', `/v1/instances/${subdomain}/register`, undefined, { token, password });
  assert.equal(register.statusCode, 204, register.body);
  const again = await call(h, 'POST', `/v1/instances/${subdomain}/register`, undefined, {
    token,
    password: 'another long password',
  });
  assert.equal(again.statusCode, 409, 'the link works once');

  const signedIn = await memberToken(subdomain, email, password);
  assert.equal(signedIn.mustChangePassword, false);
  const claims = JSON.parse(Buffer.from(signedIn.accessToken.split('.')[1]!, 'base64url').toString()) as {
    aud: string;
    sub: string;
  };
  assert.equal(claims.aud, `photoplane-instance:${instance.id}`);
  assert.equal(claims.sub, created.member.id);
  const me = await call(h, 'GET', `/v1/instances/${subdomain}/me`, signedIn.accessToken);
  assert.equal(me.statusCode, 200, me.body);
  assert.equal(me.json<{ email: string }>().email, email.toUpperCase(), 'shown as typed, compared normalised');
  // The member token is for this instance only: the portal refuses it.
  assert.equal((await call(h, 'GET', '/v1/me', signedIn.accessToken)).statusCode, 401);
  assert.ok(
    synced.some((s) => s.memberId === created.member.id),
    'registration syncs the photo app',
  );

  const attempts = await h.prisma.loginAttempt.findMany({ where: { instanceId: instance.id }, orderBy: { at: 'asc' } });
  assert.deepEqual(
    attempts.map((a) => [a.realm, a.status]),
    [
      ['instance', 'failed'],
      ['instance', 'succeeded'],
    ],
  );
});

test('an expired invitation link is refused; a link for instance A does nothing on instance B', async () => {
  const a = await instanceOwnedBy(h);
  const b = await instanceOwnedBy(h);
  const email = `${unique('late')}@example.com`;
  const created = await addMember(a.subdomain, a.owner.token, { email, mode: 'invite' });
  assert.equal(created.statusCode, 201);
  const token = invitationToken(h, await nextMailTo(h, email), a.subdomain);
  const password = 'a long enough password';

  const onB = await call(h, 'POST', `/v1/instances/${b.subdomain}/register`, undefined, { token, password });
  const random = await call(h, 'POST', `/v1/instances/${b.subdomain}/register`, undefined, {
    token: 'x'.repeat(43),
    password,
  });
  assert.equal(onB.statusCode, 404);
  assert.deepEqual(onB.json(), random.json(), 'a foreign link reads like an unknown one');
  const memberId = created.json<{ member: MemberView }>().member.id;
  assert.equal((await h.prisma.member.findUniqueOrThrow({ where: { id: memberId } })).status, 'invited');

  await h.prisma.invitation.updateMany({
    where: { memberId },
    data: { createdAt: new Date(Date.now() - 4 * 86_400_000), expiresAt: new Date(Date.now() - 1000) },
  });
  const expired = await call(h, 'POST', `/v1/instances/${a.subdomain}/register`, undefined, { token, password });
  assert.equal(expired.statusCode, 410, expired.body);
  assert.equal((await h.prisma.member.findUniqueOrThrow({ where: { id: memberId } })).status, 'invited');
});

test('password mode: a random password shown once, stored hashed; must change it before anything else', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const { email, member, password } = await addWithPassword(subdomain, owner.token);
  assert.ok(password.length >= 20);
  assert.equal(member.status, 'active');
  assert.equal(member.mustChangePassword, true);
  const row = await h.prisma.member.findUniqueOrThrow({ where: { id: member.id } });
  assert.match(row.passwordHash ?? '', /^\$argon2id\$/);
  assert.ok(
    !JSON.stringify((await call(h, 'GET', `${members(subdomain)}/${member.id}`, owner.token)).json()).includes(
      password,
    ),
  );

  const signedIn = await memberToken(subdomain, email, password);
  assert.equal(signedIn.mustChangePassword, true);
  const blocked = await call(h, 'GET', `/v1/instances/${subdomain}/me`, signedIn.accessToken);
  assert.equal(blocked.statusCode, 403);
  const wrong = await call(h, 'POST', `/v1/instances/${subdomain}/auth/change-password`, signedIn.accessToken, {
    currentPassword: 'not the password',
    newPassword: 'a brand new password',
  });
  assert.equal(wrong.statusCode, 401);
  const newPassword = 'a brand new password';
  h.secrets.add(newPassword);
  const changed = await call(h, 'POST', `/v1/instances/${subdomain}/auth/change-password`, signedIn.accessToken, {
    currentPassword: password,
    newPassword,
  });
  assert.equal(changed.statusCode, 204, changed.body);
  assert.equal((await call(h, 'GET', `/v1/instances/${subdomain}/me`, signedIn.accessToken)).statusCode, 200);
  assert.equal((await memberLogin(subdomain, email, password)).statusCode, 401, 'the old password is gone');

  // "Must change" can be unchecked (seed 000).
  const relaxed = await addWithPassword(subdomain, owner.token, { mustChangePassword: false });
  const relaxedToken = await memberToken(subdomain, relaxed.email, relaxed.password);
  assert.equal(relaxedToken.mustChangePassword, false);
  assert.equal((await call(h, 'GET', `/v1/instances/${subdomain}/me`, relaxedToken.accessToken)).statusCode, 200);
});

test('admin password reset: a new random password shown once, old sessions end, must change at next sign-in', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const { email, member, password } = await addWithPassword(subdomain, owner.token, { mustChangePassword: false });
  const before = await memberToken(subdomain, email, password);
  const res = await call(h, 'POST', `${members(subdomain)}/${member.id}/password-reset`, owner.token);
  assert.equal(res.statusCode, 200, res.body);
  const reset = res.json<{ password: string; member: MemberView }>();
  h.secrets.add(reset.password);
  assert.notEqual(reset.password, password);
  assert.equal(reset.member.mustChangePassword, true);
  assert.equal((await call(h, 'GET', `/v1/instances/${subdomain}/me`, before.accessToken)).statusCode, 401);
  assert.equal((await memberLogin(subdomain, email, password)).statusCode, 401);
  const after = await memberToken(subdomain, email, reset.password);
  assert.equal(after.mustChangePassword, true);
});

test('quotas: allocations up to the plan succeed, more is refused with bytesAvailable; 0 GiB is unlimited', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h, { planGib: 10 });
  const four = await addWithPassword(subdomain, owner.token, { quotaGiB: 4 });
  await addWithPassword(subdomain, owner.token, { quotaGiB: 6 });
  const unlimited = await addWithPassword(subdomain, owner.token, { quotaGiB: 0 });
  assert.equal(unlimited.member.quotaGiB, 0);

  const over = await addMember(subdomain, owner.token, {
    email: `${unique('over')}@example.com`,
    mode: 'password',
    quotaGiB: 1,
  });
  assert.equal(over.statusCode, 422, over.body);
  const problem = over.json<{ bytesAvailable: string; errors: { field: string }[] }>();
  assert.equal(problem.bytesAvailable, '0');
  assert.equal(problem.errors[0]?.field, 'quotaGiB');

  // One GiB more than is left, via PATCH: the answer says exactly how much is left.
  const lowered = await call(h, 'PATCH', `${members(subdomain)}/${four.member.id}`, owner.token, { quotaGiB: 3 });
  assert.equal(lowered.statusCode, 200, lowered.body);
  const tooMuch = await call(h, 'PATCH', `${members(subdomain)}/${four.member.id}`, owner.token, { quotaGiB: 5 });
  assert.equal(tooMuch.statusCode, 422);
  assert.equal(tooMuch.json<{ bytesAvailable: string }>().bytesAvailable, (4n * GIB).toString());
  const exact = await call(h, 'PATCH', `${members(subdomain)}/${four.member.id}`, owner.token, { quotaGiB: 4 });
  assert.equal(exact.statusCode, 200, 'exactly up to the plan is fine');

  await h.prisma.member.update({ where: { id: four.member.id }, data: { usageBytes: GIB } });
  const stats = await call(h, 'GET', `/v1/instances/${subdomain}/stats`, owner.token);
  assert.equal(stats.statusCode, 200, stats.body);
  const s = stats.json<{
    planBytes: string;
    allocatedBytes: string;
    usedBytes: string;
    usedPercent: number;
    members: { id: string; quotaPercent: number | null; usageBytes: string }[];
  }>();
  assert.equal(s.planBytes, (10n * GIB).toString());
  assert.equal(s.allocatedBytes, (10n * GIB).toString());
  assert.equal(s.usedBytes, GIB.toString());
  assert.equal(s.usedPercent, 10);
  assert.equal(s.members.find((m) => m.id === four.member.id)?.quotaPercent, 25);
  assert.equal(s.members.find((m) => m.id === unlimited.member.id)?.quotaPercent, null);
  assert.ok(
    s.members.some((m) => m.quotaPercent === null),
    'the owner is a member too (M1)',
  );
});

test('e-mail and storage label are unique per instance (409 naming the field), not across instances', async () => {
  const a = await instanceOwnedBy(h);
  const b = await instanceOwnedBy(h);
  const first = await addWithPassword(a.subdomain, a.owner.token, { storageLabel: 'Grandma' });
  assert.equal(first.member.storageLabel, 'grandma');

  const sameEmail = await addMember(a.subdomain, a.owner.token, {
    email: ` ${first.email.toUpperCase()} `,
    mode: 'invite',
  });
  assert.equal(sameEmail.statusCode, 409);
  assert.equal(sameEmail.json<{ errors: { field: string }[] }>().errors[0]?.field, 'email');
  const sameLabel = await addMember(a.subdomain, a.owner.token, {
    email: `${unique('x')}@example.com`,
    mode: 'invite',
    storageLabel: 'grandma',
  });
  assert.equal(sameLabel.statusCode, 409);
  assert.equal(sameLabel.json<{ errors: { field: string }[] }>().errors[0]?.field, 'storageLabel');
  const second = await addWithPassword(a.subdomain, a.owner.token);
  const patchLabel = await call(h, 'PATCH', `${members(a.subdomain)}/${second.member.id}`, a.owner.token, {
    storageLabel: 'GRANDMA',
  });
  assert.equal(patchLabel.statusCode, 409);
  const badLabel = await call(h, 'PATCH', `${members(a.subdomain)}/${second.member.id}`, a.owner.token, {
    storageLabel: '../etc',
  });
  assert.equal(badLabel.statusCode, 400);

  const elsewhere = await addMember(b.subdomain, b.owner.token, {
    email: first.email,
    mode: 'password',
    storageLabel: 'grandma',
  });
  assert.equal(elsewhere.statusCode, 201, 'the same e-mail on another instance is an unrelated member');
  h.secrets.add(elsewhere.json<{ password: string }>().password);
});

test('deletion disables at once (login and old tokens fail), restore works before the deadline', async () => {
  const { owner, subdomain, instance } = await instanceOwnedBy(h);
  const { email, member, password } = await addWithPassword(subdomain, owner.token, { mustChangePassword: false });
  const signedIn = await memberToken(subdomain, email, password);
  await h.prisma.apiKey.create({
    data: { instanceId: instance.id, memberId: member.id, name: 'phone', keyHash: randomUUID() },
  });

  const deleted = await call(h, 'DELETE', `${members(subdomain)}/${member.id}`, owner.token);
  assert.equal(deleted.statusCode, 200, deleted.body);
  const view = deleted.json<MemberView>();
  assert.equal(view.status, 'pending_deletion');
  assert.ok(view.deletion);
  assert.equal(view.deletion.immediate, false);
  const deleteAt = new Date(view.deletion.deleteAt).getTime();
  assert.ok(Math.abs(deleteAt - Date.now() - 7 * 86_400_000) < 60_000, 'seven days by default');
  assert.equal((await call(h, 'GET', `/v1/instances/${subdomain}/me`, signedIn.accessToken)).statusCode, 401);
  assert.equal((await memberLogin(subdomain, email, password)).statusCode, 401);
  assert.equal(await h.prisma.apiKey.count({ where: { memberId: member.id } }), 0, 'API keys revoked');
  assert.equal(await h.prisma.session.count({ where: { memberId: member.id, revokedAt: null } }), 0);
  const twice = await call(h, 'DELETE', `${members(subdomain)}/${member.id}`, owner.token, {});
  assert.equal(twice.statusCode, 409);
  assert.equal(
    (await call(h, 'PATCH', `${members(subdomain)}/${member.id}`, owner.token, { name: 'X' })).statusCode,
    409,
  );

  const restored = await call(h, 'POST', `${members(subdomain)}/${member.id}/restore`, owner.token);
  assert.equal(restored.statusCode, 200, restored.body);
  assert.equal(restored.json<MemberView>().status, 'active');
  await memberToken(subdomain, email, password);

  // Past the deadline (under the current delay) restoring is refused.
  await call(h, 'DELETE', `${members(subdomain)}/${member.id}`, owner.token);
  await h.prisma.member.update({
    where: { id: member.id },
    data: { deletionRequestedAt: new Date(Date.now() - 3 * 86_400_000) },
  });
  const settings = await call(h, 'PUT', `/v1/instances/${subdomain}/settings`, owner.token, { deletionDelayDays: 2 });
  assert.equal(settings.statusCode, 200, settings.body);
  const readBack = await call(h, 'GET', `/v1/instances/${subdomain}/settings`, owner.token);
  assert.equal(readBack.json<{ deletionDelayDays: number }>().deletionDelayDays, 2);
  // The photo app's own purge delay follows at once (M7), not at the next reconcile.
  const instanceId = (await h.prisma.instance.findUniqueOrThrow({ where: { subdomain } })).id;
  assert.equal(configApplied.filter((id) => id === instanceId).length, 1);
  const late = await call(h, 'POST', `${members(subdomain)}/${member.id}/restore`, owner.token);
  assert.equal(late.statusCode, 410, late.body);
  const badDelay = await call(h, 'PUT', `/v1/instances/${subdomain}/settings`, owner.token, { deletionDelayDays: -1 });
  assert.equal(badDelay.statusCode, 400);
  assert.equal(configApplied.filter((id) => id === instanceId).length, 1, 'a refused change changes nothing');
});

test('immediate deletion needs the e-mail as confirmation and cannot be restored; the owner cannot be deleted', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const { email, member } = await addWithPassword(subdomain, owner.token);
  const unconfirmed = await call(h, 'DELETE', `${members(subdomain)}/${member.id}`, owner.token, { immediate: true });
  assert.equal(unconfirmed.statusCode, 400);
  assert.equal(unconfirmed.json<{ errors: { field: string }[] }>().errors[0]?.field, 'confirm');
  const before = synced.length;
  const res = await call(h, 'DELETE', `${members(subdomain)}/${member.id}`, owner.token, {
    immediate: true,
    confirm: email.toUpperCase(),
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json<MemberView>().deletion?.immediate, true);
  assert.ok(
    synced.slice(before).some((s) => s.memberId === member.id),
    'the sync workflow removes them at once',
  );
  assert.equal((await call(h, 'POST', `${members(subdomain)}/${member.id}/restore`, owner.token)).statusCode, 410);

  const list = await call(h, 'GET', `${members(subdomain)}?search=owner`, owner.token);
  const ownerRow = list.json<{ members: (MemberView & { role: string })[] }>().members.find((m) => m.role === 'owner');
  assert.ok(ownerRow, 'the owner is listed as a member (M1)');
  assert.equal((await call(h, 'DELETE', `${members(subdomain)}/${ownerRow.id}`, owner.token)).statusCode, 403);
  const demote = await call(h, 'PATCH', `${members(subdomain)}/${ownerRow.id}`, owner.token, { role: 'user' });
  assert.equal(demote.statusCode, 403);
});

test('a removed member gets no account of their own: no portal account, and portal sign-in fails like an unknown address (M9)', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const { email, member, password } = await addWithPassword(subdomain, owner.token, { mustChangePassword: false });
  const res = await call(h, 'DELETE', `${members(subdomain)}/${member.id}`, owner.token, {
    immediate: true,
    confirm: email,
  });
  assert.equal(res.statusCode, 200, res.body);

  assert.equal(await h.prisma.account.findUnique({ where: { emailNormalized: email.toLowerCase() } }), null);
  const asMember = await call(h, 'POST', '/v1/auth/login', undefined, { email, password });
  const asNobody = await call(h, 'POST', '/v1/auth/login', undefined, {
    email: `${unique('x')}@example.com`,
    password,
  });
  assert.equal(asMember.statusCode, 401);
  assert.deepEqual(
    { ...asMember.json<Record<string, unknown>>(), instance: undefined },
    { ...asNobody.json<Record<string, unknown>>(), instance: undefined },
  );
});

test('no-login refuses sign-in and ends sessions; search by name or e-mail', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const { email, member, password } = await addWithPassword(subdomain, owner.token, {
    mustChangePassword: false,
    name: 'Zebulon Quartz',
  });
  const token = await memberToken(subdomain, email, password);
  const off = await call(h, 'PATCH', `${members(subdomain)}/${member.id}`, owner.token, {
    noLogin: true,
    role: 'viewer',
  });
  assert.equal(off.statusCode, 200, off.body);
  assert.equal(off.json<MemberView>().noLogin, true);
  assert.equal((await call(h, 'GET', `/v1/instances/${subdomain}/me`, token.accessToken)).statusCode, 401);
  assert.equal((await memberLogin(subdomain, email, password)).statusCode, 401);
  await call(h, 'PATCH', `${members(subdomain)}/${member.id}`, owner.token, { noLogin: false });
  await memberToken(subdomain, email, password);

  const byName = await call(h, 'GET', `${members(subdomain)}?search=zebulon`, owner.token);
  assert.deepEqual(
    byName.json<{ members: MemberView[] }>().members.map((m) => m.id),
    [member.id],
  );
  const byEmail = await call(h, 'GET', `${members(subdomain)}?search=${email.slice(0, 8).toUpperCase()}`, owner.token);
  assert.deepEqual(
    byEmail.json<{ members: MemberView[] }>().members.map((m) => m.id),
    [member.id],
  );
});

test("only the instance's owner and staff administer its members; anyone else gets the unknown-instance answer", async () => {
  const { owner, subdomain } = await instanceOwnedBy(h);
  const stranger = await signedInAccount(h);
  const staff = await signedInAccount(h, 'support');
  await addWithPassword(subdomain, owner.token);
  const foreign = await call(h, 'GET', members(subdomain), stranger.token);
  const nowhere = await call(h, 'GET', members('no-such-instance'), stranger.token);
  assert.equal(foreign.statusCode, 404);
  assert.equal(foreign.json<{ detail: string }>().detail, nowhere.json<{ detail: string }>().detail);
  assert.equal((await call(h, 'GET', members(subdomain))).statusCode, 401);
  const asStaff = await call(h, 'GET', members(subdomain), staff.token);
  assert.equal(asStaff.statusCode, 200, asStaff.body);
  assert.ok(asStaff.json<{ members: unknown[] }>().members.length >= 2);
});

test('cross-instance matrix: an id, e-mail, token or member token of instance B answers on A exactly like a random one', async () => {
  const a = await instanceOwnedBy(h);
  const b = await instanceOwnedBy(h);
  const bMember = await addWithPassword(b.subdomain, b.owner.token, { mustChangePassword: false });
  const bToken = await memberToken(b.subdomain, bMember.email, bMember.password);
  const bInviteEmail = `${unique('binv')}@example.com`;
  await addMember(b.subdomain, b.owner.token, { email: bInviteEmail, mode: 'invite' });
  const bInvitation = invitationToken(h, await nextMailTo(h, bInviteEmail), b.subdomain);
  const randomId = randomUUID();
  const A = `/v1/instances/${a.subdomain}`;
  const t = a.owner.token;

  type Case = { name: string; send: (id: string) => ReturnType<typeof call> };
  const byId: Case[] = [
    { name: 'GET member', send: (id) => call(h, 'GET', `${A}/members/${id}`, t) },
    { name: 'PATCH member', send: (id) => call(h, 'PATCH', `${A}/members/${id}`, t, { name: 'Mallory' }) },
    { name: 'PATCH quota', send: (id) => call(h, 'PATCH', `${A}/members/${id}`, t, { quotaGiB: 1 }) },
    { name: 'PATCH label', send: (id) => call(h, 'PATCH', `${A}/members/${id}`, t, { storageLabel: 'x' }) },
    { name: 'PATCH noLogin', send: (id) => call(h, 'PATCH', `${A}/members/${id}`, t, { noLogin: true }) },
    { name: 'password reset', send: (id) => call(h, 'POST', `${A}/members/${id}/password-reset`, t) },
    { name: 'DELETE', send: (id) => call(h, 'DELETE', `${A}/members/${id}`, t) },
    {
      name: 'DELETE immediate',
      send: (id) => call(h, 'DELETE', `${A}/members/${id}`, t, { immediate: true, confirm: bMember.email }),
    },
    { name: 'restore', send: (id) => call(h, 'POST', `${A}/members/${id}/restore`, t) },
  ];
  const normalise = (body: string, id: string) => body.replaceAll(id, '<id>');
  for (const c of byId) {
    const foreign = await c.send(bMember.member.id);
    const random = await c.send(randomId);
    assert.equal(foreign.statusCode, 404, `${c.name}: ${foreign.body}`);
    assert.deepEqual(
      [foreign.statusCode, normalise(foreign.body, bMember.member.id)],
      [random.statusCode, normalise(random.body, randomId)],
      c.name,
    );
    const malformed = await c.send('not-a-uuid');
    assert.deepEqual(
      [malformed.statusCode, normalise(malformed.body, 'not-a-uuid')],
      [404, normalise(random.body, randomId)],
    );
  }

  const pairs: { name: string; foreign: () => ReturnType<typeof call>; random: () => ReturnType<typeof call> }[] = [
    {
      name: 'login with a member of B',
      foreign: () =>
        call(h, 'POST', `${A}/auth/login`, undefined, { email: bMember.email, password: bMember.password }),
      random: () =>
        call(h, 'POST', `${A}/auth/login`, undefined, { email: `${unique('nobody')}@example.com`, password: 'x' }),
    },
    {
      name: "register with B's invitation",
      foreign: () =>
        call(h, 'POST', `${A}/register`, undefined, { token: bInvitation, password: 'a long enough password' }),
      random: () =>
        call(h, 'POST', `${A}/register`, undefined, { token: 'y'.repeat(43), password: 'a long enough password' }),
    },
    {
      name: "B's member token on A's /me",
      foreign: () => call(h, 'GET', `${A}/me`, bToken.accessToken),
      random: () => call(h, 'GET', `${A}/me`, 'not.a.token'),
    },
    {
      name: "B's member token on A's change-password",
      foreign: () =>
        call(h, 'POST', `${A}/auth/change-password`, bToken.accessToken, {
          currentPassword: bMember.password,
          newPassword: 'a long enough password',
        }),
      random: () =>
        call(h, 'POST', `${A}/auth/change-password`, 'not.a.token', {
          currentPassword: bMember.password,
          newPassword: 'a long enough password',
        }),
    },
    {
      name: 'search for an e-mail of B',
      foreign: () => call(h, 'GET', `${A}/members?search=${encodeURIComponent(bMember.email)}`, t),
      random: () => call(h, 'GET', `${A}/members?search=${encodeURIComponent('nobody@example.com')}`, t),
    },
  ];
  for (const p of pairs) {
    const foreign = await p.foreign();
    const random = await p.random();
    assert.equal(foreign.statusCode, random.statusCode, p.name);
    assert.deepEqual(foreign.json(), random.json(), p.name);
  }

  // Nothing of B's changed.
  const row = await h.prisma.member.findUniqueOrThrow({ where: { id: bMember.member.id } });
  assert.equal(row.status, 'active');
  assert.equal(row.name, 'Someone');
  await memberToken(b.subdomain, bMember.email, bMember.password);
});

test('no password or token ever reaches the log', async () => {
  const log = h.logLines.join('');
  assert.ok(h.secrets.size > 10, `${h.secrets.size} secrets collected`);
  for (const secret of h.secrets) assert.equal(log.includes(secret), false, 'a secret is in the log');
});
