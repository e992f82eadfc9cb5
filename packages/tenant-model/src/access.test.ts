import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkAccess, requireAccess, type AccessPort } from './access.ts';
import { accountActor, type MemberActor } from './permissions.ts';
import { DomainError, memberNotFound } from './errors.ts';
import type { AccountId, ApiKeyId, InstanceId, MemberId } from './ids.ts';

const A = 'inst-a' as InstanceId;
const B = 'inst-b' as InstanceId;
const mid = (s: string) => s as MemberId;
const keyId = (s: string) => s as ApiKeyId;

/** An in-memory stand-in for the database port, holding a small world of two instances. */
interface World {
  members: { id: MemberId; instanceId: InstanceId }[];
  apiKeys: { id: ApiKeyId; memberId: MemberId }[];
  accounts: { accountId: AccountId; instanceId: InstanceId }[];
}

function portFor(world: World): AccessPort {
  const keep = <T extends string>(ids: ReadonlySet<T>, ok: (id: T) => boolean) =>
    Promise.resolve(new Set([...ids].filter(ok)));
  return {
    member: {
      checkInstanceAccess: (instanceId, ids) =>
        keep(ids, (id) => world.members.some((x) => x.id === id && x.instanceId === instanceId)),
    },
    apiKey: {
      checkOwnerAccess: (memberId, ids) =>
        keep(ids, (id) => world.apiKeys.some((k) => k.id === id && k.memberId === memberId)),
    },
    session: { checkOwnerAccess: () => Promise.resolve(new Set()) },
    instance: {
      checkAccountAccess: (accountId, ids) =>
        keep(ids, (id) => world.accounts.some((x) => x.accountId === accountId && x.instanceId === id)),
    },
  };
}

const world: World = {
  members: [
    { id: mid('ann'), instanceId: A },
    { id: mid('bob'), instanceId: A },
    { id: mid('cy'), instanceId: A },
    { id: mid('eve'), instanceId: B },
  ],
  apiKeys: [
    { id: keyId('ann-key-1'), memberId: mid('ann') },
    { id: keyId('ann-key-2'), memberId: mid('ann') },
    { id: keyId('eve-key'), memberId: mid('eve') },
  ],
  accounts: [{ accountId: 'acc-ann' as AccountId, instanceId: A }],
};
const port = portFor(world);
const member = (id: string, role: MemberActor['role'] = 'user'): MemberActor => ({
  kind: 'member',
  memberId: mid(id),
  instanceId: world.members.find((x) => x.id === id)!.instanceId,
  role,
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DomainError);
    return { code: error.code, message: error.message, details: error.details };
  }
  assert.fail('expected a refusal');
}

describe('access check', () => {
  it('requireAccess passes when every id is allowed', async () => {
    await requireAccess(port, member('ann'), 'apiKey.manage', [keyId('ann-key-1'), keyId('ann-key-2')]);
    await requireAccess(port, member('bob'), 'member.read', [mid('ann')]);
  });

  it('a member of another instance is refused exactly like a member id that does not exist', async () => {
    const admin = member('ann', 'admin');
    const foreign = await refusal(requireAccess(port, admin, 'member.update', [mid('eve')]));
    const missing = await refusal(requireAccess(port, admin, 'member.update', [mid('nobody')]));
    const m = memberNotFound();
    assert.deepEqual(foreign, missing);
    assert.deepEqual(foreign, { code: m.code, message: m.message, details: m.details });
  });

  it("another instance's API key reads as not found, never as forbidden", async () => {
    assert.equal(
      (await refusal(requireAccess(port, member('ann'), 'apiKey.manage', [keyId('eve-key')]))).code,
      'not_found',
    );
  });

  it('one disallowed id fails the whole request; checkAccess returns the allowed subset for bulk operations', async () => {
    const ids = [keyId('ann-key-1'), keyId('eve-key'), keyId('missing')];
    assert.equal((await refusal(requireAccess(port, member('ann'), 'apiKey.manage', ids))).code, 'not_found');
    assert.deepEqual(await checkAccess(port, member('ann'), 'apiKey.manage', ids), new Set([keyId('ann-key-1')]));
  });

  it('U3: personal permissions reach only the actor itself, even for an admin', async () => {
    const admin = member('ann', 'admin');
    assert.deepEqual(await checkAccess(port, admin, 'apiKey.create', [mid('ann'), mid('bob')]), new Set([mid('ann')]));
    assert.deepEqual(await checkAccess(port, admin, 'profile.update', [mid('bob')]), new Set());
  });

  it('a role without the permission is forbidden outright, before any id is looked at', async () => {
    const guest = member('bob', 'guest');
    assert.equal((await refusal(requireAccess(port, guest, 'apiKey.create', [mid('bob')]))).code, 'forbidden');
    assert.equal((await refusal(requireAccess(port, member('bob'), 'member.delete', []))).code, 'forbidden');
    assert.deepEqual(await checkAccess(port, guest, 'apiKey.create', [mid('bob')]), new Set());
  });

  it("customers reach only their own tenants; support reaches every tenant but no member's keys", async () => {
    const customer = accountActor('acc-ann' as AccountId, 'customer');
    assert.deepEqual(await checkAccess(port, customer, 'tenant.read', [A, B]), new Set([A]));
    assert.deepEqual(await checkAccess(port, customer, 'tenant.support', [A]), new Set());
    const support = accountActor('acc-sup' as AccountId, 'support');
    assert.deepEqual(await checkAccess(port, support, 'tenant.support', [A, B]), new Set([A, B]));
    assert.deepEqual(await checkAccess(port, support, 'apiKey.manage', [keyId('ann-key-1')]), new Set());
  });

  it('a port that answers with ids nobody asked about does not widen access', async () => {
    const leaky: AccessPort = {
      ...port,
      apiKey: { checkOwnerAccess: () => Promise.resolve(new Set([keyId('ann-key-1'), keyId('eve-key')])) },
    };
    assert.deepEqual(
      await checkAccess(leaky, member('ann'), 'apiKey.manage', [keyId('ann-key-1')]),
      new Set([keyId('ann-key-1')]),
    );
  });

  it('for any actor of instance A and any ids, member permissions never grant a member of instance B', async () => {
    const allIds = [...world.members.map((x) => x.id), mid('ghost')];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('ann', 'bob', 'cy'),
        fc.constantFrom('owner' as const, 'admin' as const, 'user' as const, 'viewer' as const, 'guest' as const),
        fc.constantFrom('member.read' as const, 'member.update' as const, 'member.delete' as const),
        fc.subarray(allIds),
        async (who, role, permission, ids) => {
          const granted = await checkAccess(port, member(who, role), permission, ids);
          for (const id of granted) assert.equal(world.members.find((x) => x.id === id)?.instanceId, A);
          // Completeness: where the role holds the permission, every same-instance id asked about is granted.
          const holds =
            role === 'owner' ||
            role === 'admin' ||
            ((role === 'user' || role === 'viewer') && permission === 'member.read');
          const expected = holds ? ids.filter((id) => world.members.find((x) => x.id === id)?.instanceId === A) : [];
          assert.deepEqual(granted, new Set(expected));
        },
      ),
    );
  });
});
