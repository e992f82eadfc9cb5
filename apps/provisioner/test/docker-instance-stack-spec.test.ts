// Unit tests of the pure stack builder: no Docker needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALLOWED_CAPABILITIES,
  buildInstanceStackSpec,
  containerSpecHash,
  EDGE_SOCKET_DIR,
  InvalidInstanceIdError,
  InvalidStackInputError,
  LABELS,
  STACK_ROLES,
  TENANT_BRIDGE_PREFIX,
  type InstanceStackInput,
} from '../src/docker/index.ts';
import { STACK_PROFILES, stackProfile } from '../src/stack-profiles.ts';

const MiB = 1024 * 1024;

function input(overrides: Partial<InstanceStackInput> = {}): InstanceStackInput {
  return {
    instanceId: '3f2c9a1e-7b7d-4a2e-9d3c-0c1f5b6a7e88',
    subscriptionId: 'sub_123',
    images: { app: 'ghcr.io/immich-app/immich-server:v2.0.0', db: 'postgres:16', cache: 'valkey/valkey:8' },
    resources: {
      app: { memoryBytes: 2048 * MiB, nanoCpus: 2e9, pidsLimit: 1024 },
      db: { memoryBytes: 512 * MiB, nanoCpus: 1e9, pidsLimit: 256 },
      cache: { memoryBytes: 128 * MiB, nanoCpus: 0.25e9, pidsLimit: 64 },
    },
    database: { password: 's3cret-from-the-vault' },
    healthchecks: {
      app: { test: ['CMD', 'immich-healthcheck'] },
      db: { test: ['CMD-SHELL', 'pg_isready'], intervalMs: 1000 },
      cache: { test: ['CMD', 'valkey-cli', 'ping'] },
    },
    hardening: {
      app: { capAdd: [], readOnlyRootfs: true, tmpfs: ['/tmp'] },
      db: { capAdd: ['CHOWN', 'SETUID', 'SETGID'], readOnlyRootfs: true, tmpfs: ['/var/run/postgresql', '/tmp'] },
      cache: { capAdd: [], readOnlyRootfs: false, tmpfs: [] },
    },
    extraLabels: { 'photoplane.test-run': 'unit' },
    ...overrides,
  };
}

describe('buildInstanceStackSpec', () => {
  test('only the app publishes a port, and only on 127.0.0.1 with a port the Engine picks', () => {
    const spec = buildInstanceStackSpec(input());
    assert.deepEqual(spec.containers.app.HostConfig?.PortBindings, {
      '2283/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    assert.deepEqual(spec.containers.app.ExposedPorts, { '2283/tcp': {} });
    for (const role of ['db', 'cache'] as const) {
      assert.equal(spec.containers[role].HostConfig?.PortBindings, undefined, `${role} publishes nothing`);
      assert.equal(spec.containers[role].ExposedPorts, undefined);
    }
    for (const role of STACK_ROLES) assert.notEqual(spec.containers[role].HostConfig?.PublishAllPorts, true);
  });

  test('every container has its memory and CPU limit, Init, a restart policy, a health check and no privileges', () => {
    const given = input();
    const spec = buildInstanceStackSpec(given);
    for (const role of STACK_ROLES) {
      const c = spec.containers[role];
      const hc = c.HostConfig!;
      assert.equal(hc.Memory, given.resources[role].memoryBytes, `${role} memory`);
      assert.equal(hc.MemorySwap, given.resources[role].memoryBytes, `${role} gets no swap beyond its limit`);
      assert.equal(hc.NanoCpus, given.resources[role].nanoCpus, `${role} CPU`);
      assert.equal(hc.Init, true);
      assert.deepEqual(hc.RestartPolicy, { Name: 'unless-stopped' });
      assert.equal(hc.Privileged, false);
      assert.equal(hc.PidsLimit, given.resources[role].pidsLimit, `${role} pids`);
      assert.deepEqual(hc.SecurityOpt, ['no-new-privileges:true']);
      assert.deepEqual(c.NetworkingConfig?.EndpointsConfig?.[spec.names.network]?.Aliases, [role]);
      assert.deepEqual(c.Healthcheck?.Test, given.healthchecks[role].test);
    }
    assert.equal(spec.containers.db.Healthcheck?.Interval, 1000 * 1_000_000, 'durations are nanoseconds');
  });

  test('every container drops all capabilities and gets back only what its image needs; roots are read-only where the image allows, with a tmpfs for what it writes', () => {
    const given = input();
    const spec = buildInstanceStackSpec(given);
    for (const role of STACK_ROLES) {
      const hc = spec.containers[role].HostConfig!;
      assert.deepEqual(hc.CapDrop, ['ALL'], `${role} drops all`);
      assert.deepEqual(hc.CapAdd, given.hardening[role].capAdd, `${role} adds back only its own`);
      assert.equal(hc.ReadonlyRootfs, given.hardening[role].readOnlyRootfs, `${role} read-only root`);
    }
    assert.deepEqual(spec.containers.db.HostConfig?.Tmpfs, {
      '/var/run/postgresql': 'rw,noexec,nosuid,nodev,size=64m',
      '/tmp': 'rw,noexec,nosuid,nodev,size=64m',
    });
    assert.equal(spec.containers.cache.HostConfig?.Tmpfs, undefined, 'no tmpfs asked, none made');
    for (const name of STACK_PROFILES) {
      const profile = stackProfile(name, { app: 'a:1', db: 'd:1', cache: 'c:1' });
      for (const role of STACK_ROLES) {
        assert.ok(profile.resources[role].pidsLimit > 0, `${name} ${role} has a pids limit`);
        for (const cap of profile.hardening[role].capAdd) assert.ok(ALLOWED_CAPABILITIES.includes(cap));
      }
      assert.doesNotThrow(() => buildInstanceStackSpec({ ...input(), ...profile }), name);
    }
    const standin = stackProfile('standin', { app: 'a:1', db: 'd:1', cache: 'c:1' });
    for (const role of STACK_ROLES) {
      assert.deepEqual(standin.hardening[role].capAdd, [], `stand-in ${role}: no capability at all`);
      assert.equal(standin.hardening[role].readOnlyRootfs, true, `stand-in ${role}: read-only root`);
    }
  });

  test('db and cache live on an internal network only; the app is on it too (alias) and alone on its egress network, which publishes its port', () => {
    const spec = buildInstanceStackSpec(input());
    assert.equal(spec.network.Internal, true);
    assert.equal(spec.egressNetwork.Internal, false);
    assert.equal(spec.egressNetwork.Name, spec.names.egressNetwork);
    const bridges = [spec.network, spec.egressNetwork].map(
      (n) => (n.Options as Record<string, string>)['com.docker.network.bridge.name'],
    );
    assert.deepEqual(bridges, [spec.names.internalBridge, spec.names.egressBridge]);
    for (const b of bridges) {
      assert.ok(b?.startsWith(TENANT_BRIDGE_PREFIX), `${b} has the firewall's prefix`);
      assert.ok(b && b.length <= 15, `${b} fits a Linux interface name`);
    }
    assert.notEqual(bridges[0], bridges[1]);
    assert.notEqual(
      buildInstanceStackSpec(input({ instanceId: 'other' })).names.egressBridge,
      spec.names.egressBridge,
      'another instance gets another bridge',
    );
    for (const role of ['db', 'cache'] as const) {
      assert.equal(spec.containers[role].HostConfig?.NetworkMode, spec.names.network);
      assert.deepEqual(Object.keys(spec.containers[role].NetworkingConfig?.EndpointsConfig ?? {}), [
        spec.names.network,
      ]);
    }
    const app = spec.containers.app;
    assert.equal(app.HostConfig?.NetworkMode, spec.names.egressNetwork, 'the port is published on the egress network');
    assert.deepEqual(Object.keys(app.NetworkingConfig?.EndpointsConfig ?? {}).sort(), [
      spec.names.egressNetwork,
      spec.names.network,
    ]);
  });

  test('names are deterministic and derived from the instance id', () => {
    const a = buildInstanceStackSpec(input());
    const b = buildInstanceStackSpec(input());
    assert.deepEqual(a, b, 'same input, same spec (spec hash included)');
    const id = '3f2c9a1e-7b7d-4a2e-9d3c-0c1f5b6a7e88';
    assert.deepEqual(a.names, {
      network: `pp-${id}-net`,
      egressNetwork: `pp-${id}-egress`,
      internalBridge: a.names.internalBridge,
      egressBridge: a.names.egressBridge,
      db: `pp-${id}-db`,
      cache: `pp-${id}-cache`,
      app: `pp-${id}-app`,
      libraryVolume: `pp-${id}-library`,
      databaseVolume: `pp-${id}-database`,
    });
    assert.equal(a.network.Name, a.names.network);
    assert.deepEqual(a.containers.app.HostConfig?.Mounts, [
      { Type: 'volume', Source: a.names.libraryVolume, Target: '/data' },
    ]);
    assert.deepEqual(a.containers.db.HostConfig?.Mounts, [
      { Type: 'volume', Source: a.names.databaseVolume, Target: '/var/lib/postgresql/data' },
    ]);
  });

  test('every resource carries the instance, subscription, role and managed labels; extra labels cannot override them', () => {
    const spec = buildInstanceStackSpec(
      input({ extraLabels: { 'photoplane.test-run': 'unit', [LABELS.instance]: 'someone-else' } }),
    );
    const all = [
      ['network', spec.network.Labels],
      ['egress-network', spec.egressNetwork.Labels],
      ['library', spec.volumes.library.Labels],
      ['database', spec.volumes.database.Labels],
      ...STACK_ROLES.map((r) => [r, spec.containers[r].Labels] as const),
    ] as const;
    for (const [role, labels] of all) {
      assert.equal(labels[LABELS.instance], spec.instanceId, `${role}: extra labels do not override ours`);
      assert.equal(labels[LABELS.subscription], 'sub_123');
      assert.equal(labels[LABELS.role], role);
      assert.equal(labels[LABELS.managed], 'true');
      assert.equal(labels['photoplane.test-run'], 'unit');
    }
  });

  test("the app is wired to its own db and cache by alias, with the caller's database password", () => {
    const spec = buildInstanceStackSpec(input({ appEnv: { TZ: 'Europe/Berlin', DB_HOSTNAME: 'elsewhere' } }));
    const env = new Map(spec.containers.app.Env!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    assert.equal(env.get('DB_HOSTNAME'), 'db', 'extra env cannot re-point the database');
    assert.equal(env.get('REDIS_HOSTNAME'), 'cache');
    assert.equal(env.get('DB_PASSWORD'), 's3cret-from-the-vault');
    assert.equal(env.get('DB_USERNAME'), 'postgres');
    assert.equal(env.get('DB_DATABASE_NAME'), 'immich');
    assert.equal(env.get('IMMICH_PORT'), '2283');
    assert.equal(env.get('TZ'), 'Europe/Berlin');
    assert.ok(spec.containers.db.Env!.includes('POSTGRES_PASSWORD=s3cret-from-the-vault'));
  });

  test('the spec-hash label changes when the spec changes and only then', () => {
    const a = buildInstanceStackSpec(input());
    const b = buildInstanceStackSpec(
      input({ images: { ...input().images, app: 'ghcr.io/immich-app/immich-server:v2.1.0' } }),
    );
    assert.equal(a.containers.app.Labels[LABELS.specHash], containerSpecHash(a.containers.app));
    assert.notEqual(a.containers.app.Labels[LABELS.specHash], b.containers.app.Labels[LABELS.specHash]);
    assert.equal(a.containers.db.Labels[LABELS.specHash], b.containers.db.Labels[LABELS.specHash]);
  });

  test('invalid instance ids are refused', () => {
    for (const bad of ['', 'UPPER', 'a_b', '-lead', 'trail-', 'a.b', 'a/b', '../x', 'x'.repeat(64), 'sp ace']) {
      assert.throws(
        () => buildInstanceStackSpec(input({ instanceId: bad })),
        InvalidInstanceIdError,
        JSON.stringify(bad),
      );
    }
    assert.doesNotThrow(() => buildInstanceStackSpec(input({ instanceId: 'a' })));
  });

  test('missing limits, passwords, health checks and bad ports are refused', () => {
    const base = input();
    const cases: Partial<InstanceStackInput>[] = [
      { resources: { ...base.resources, cache: { memoryBytes: 0, nanoCpus: 1e9, pidsLimit: 64 } } },
      { resources: { ...base.resources, app: { memoryBytes: 1e9, nanoCpus: 0.5, pidsLimit: 64 } } },
      { resources: { ...base.resources, db: { memoryBytes: 1e9, nanoCpus: 1e9, pidsLimit: 0 } } },
      { resources: { ...base.resources, db: { memoryBytes: 1e9, nanoCpus: 1e9 } as never } },
      { hardening: { ...base.hardening, app: undefined as never } },
      { hardening: { ...base.hardening, app: { capAdd: ['SYS_ADMIN'], readOnlyRootfs: true, tmpfs: [] } } },
      { hardening: { ...base.hardening, cache: { capAdd: ['NET_RAW'], readOnlyRootfs: true, tmpfs: [] } } },
      { hardening: { ...base.hardening, db: { capAdd: ['ALL'], readOnlyRootfs: true, tmpfs: [] } } },
      { hardening: { ...base.hardening, db: { capAdd: [], readOnlyRootfs: true, tmpfs: ['tmp'] } } },
      { hardening: { ...base.hardening, db: { capAdd: [], readOnlyRootfs: true, tmpfs: ['/a/../etc'] } } },
      { hardening: { ...base.hardening, db: { capAdd: [], readOnlyRootfs: true, tmpfs: ['/tmp:exec'] } } },
      { database: { password: '' } },
      { database: { password: 'line\nbreak' } },
      { healthchecks: { ...base.healthchecks, db: { test: ['NONE'] } } },
      { healthchecks: { ...base.healthchecks, app: { test: ['CMD'] } } },
      { appPort: 70000 },
      { subscriptionId: '' },
      { images: { ...base.images, db: '' } },
    ];
    for (const c of cases)
      assert.throws(() => buildInstanceStackSpec(input(c)), InvalidStackInputError, JSON.stringify(c));
  });

  test("the edge socket's folder is mounted read-only into the app only, and the app is told where the socket is", () => {
    const without = buildInstanceStackSpec(input());
    assert.ok(!without.containers.app.Env?.some((e) => e.startsWith('STANDIN_EDGE_SOCKET=')), 'production: unset');
    const spec = buildInstanceStackSpec(input({ edgeSocketPath: '/srv/stack/caddy/edge-socket/edge.sock' }));
    assert.deepEqual(
      spec.containers.app.HostConfig?.Mounts?.find((m) => m.Target === EDGE_SOCKET_DIR),
      { Type: 'bind', Source: '/srv/stack/caddy/edge-socket', Target: '/run/photoplane-edge', ReadOnly: true },
    );
    assert.ok(spec.containers.app.Env?.includes('STANDIN_EDGE_SOCKET=/run/photoplane-edge/edge.sock'));
    for (const role of ['db', 'cache'] as const)
      assert.ok(!spec.containers[role].HostConfig?.Mounts?.some((m) => m.Type === 'bind'), `${role} gets no socket`);
    // A container made before the socket was handed out differs from the spec: reconcile recreates it.
    assert.notEqual(spec.containers.app.Labels[LABELS.specHash], without.containers.app.Labels[LABELS.specHash]);
    for (const bad of ['edge.sock', '/edge.sock', '/a/../b/edge.sock', '/a/b/'])
      assert.throws(() => buildInstanceStackSpec(input({ edgeSocketPath: bad })), InvalidStackInputError, bad);
  });
});
