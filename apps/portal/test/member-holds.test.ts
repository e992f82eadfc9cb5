// Holds and abuse (issue 13, item 6) at the member routes: an instance that is not active (checkout not paid yet,
// provisioning, suspended for non-payment or by staff) takes no members and so sends no invitation e-mails; text
// that users choose reaches the invitation e-mail inert and short. Over the real PostgreSQL and a real SMTP server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, instanceOwnedBy, nextMailTo, startHarness, unique, type Harness } from './members-harness.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined });
});

after(async () => {
  await h?.close();
});

const invite = (subdomain: string, token: string, email: string, name = 'Invitee') =>
  call(h, 'POST', `/v1/instances/${subdomain}/members`, token, { name, email, mode: 'invite' });

test('invitations on an unpaid hold are refused: no member, no e-mail; once active they go out', async () => {
  const { owner, subdomain, instance } = await instanceOwnedBy(h);
  // The owner's own member row is made on first use (M1); nobody else may be added while held.
  const others = { instanceId: instance.id, role: { not: 'owner' as const } };
  for (const state of ['pending', 'provisioning', 'suspended'] as const) {
    await h.prisma.instance.update({ where: { id: instance.id }, data: { state } });
    const email = `${unique(`held-${state}`)}@example.com`;
    const refused = await invite(subdomain, owner.token, email);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = refused.json<{ code: string; state: string; detail: string }>();
    assert.deepEqual([problem.code, problem.state], ['illegal_transition', state]);
    assert.match(problem.detail, /active/);
    const password = await call(h, 'POST', `/v1/instances/${subdomain}/members`, owner.token, {
      name: 'Direct',
      email: `${unique('direct')}@example.com`,
      mode: 'password',
    });
    assert.equal(password.statusCode, 409, 'a member with a password is a member too');
    assert.equal(await h.prisma.member.count({ where: others }), 0, 'nothing half-applied');
    await assert.rejects(nextMailTo(h, email, 500), /no e-mail/);
  }

  await h.prisma.instance.update({ where: { id: instance.id }, data: { state: 'active' } });
  const email = `${unique('welcome')}@example.com`;
  assert.equal((await invite(subdomain, owner.token, email)).statusCode, 201);
  assert.match((await nextMailTo(h, email)).subject, /invited/i);
});

test('names users choose reach the invitation e-mail as one short line with no link in it', async () => {
  const { owner, subdomain, instance } = await instanceOwnedBy(h);
  const sub = await h.prisma.instance.findUniqueOrThrow({
    where: { id: instance.id },
    include: { subscription: true },
  });
  await h.prisma.account.update({
    where: { id: sub.subscription.accountId },
    data: { name: 'Support team\n\nYour account is locked: https://phish.example/login' },
  });
  const email = `${unique('target')}@example.com`;
  const res = await invite(subdomain, owner.token, email, 'Mia\r\nClick www.evil.example');
  assert.equal(res.statusCode, 201, res.body);
  const mail = await nextMailTo(h, email);
  assert.match(mail.text, /^Hello Mia Click www \.evil \.example,$/m);
  // One line, the link broken up, and cut at 60 characters.
  assert.match(mail.text, /^Support team Your account is locked: https: phish \.example\/… has created/m);
  assert.doesNotMatch(mail.text, /phish\.example|evil\.example|https:\/\/phish/);
});
