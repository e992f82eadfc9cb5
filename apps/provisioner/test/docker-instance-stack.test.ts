// The docker/ layer against the real Docker Engine that `npm test` starts. The photo-app stand-in plays the app;
// busybox httpd plays db and cache. Every resource carries the run's test label and is removed after each test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildInstanceStackSpec,
  ContainerNotHealthyError,
  ensureContainer,
  ensureInstanceStack,
  ensureNetwork,
  ensureVolume,
  ForeignResourceError,
  inspectContainer,
  instanceLabels,
  LABELS,
  listManaged,
  removeContainer,
  removeInstanceStack,
  removeNetwork,
  removeVolume,
  startContainer,
  STACK_ROLES,
  waitHealthy,
  type ContainerSpec,
} from '../src/docker/index.ts';
import {
  cleanupInstance,
  docker,
  execIn,
  httpdOn,
  newInstanceId,
  runLabels,
  stack,
  standinInput,
} from './docker-fixtures.ts';

test('ensureInstanceStack brings up network, volumes, db, cache and app with labels, limits, Init, restart policy and health checks; the app answers on 127.0.0.1; a second call creates nothing', async (t) => {
  const instanceId = newInstanceId();
  cleanupInstance(t, instanceId);
  const given = standinInput(instanceId);
  const spec = buildInstanceStackSpec(given);

  const first = await ensureInstanceStack(docker, spec, { healthTimeoutMs: 60_000 });
  assert.equal(first.network.created, true);
  assert.equal(first.volumes.library.created && first.volumes.database.created, true);
  for (const role of STACK_ROLES) assert.equal(first.containers[role].created, true, `${role} created`);

  const ours = (labels: Record<string, string> | undefined, role: string) => {
    assert.equal(labels?.[LABELS.managed], 'true');
    assert.equal(labels?.[LABELS.instance], instanceId);
    assert.equal(labels?.[LABELS.subscription], `sub-${instanceId}`);
    assert.equal(labels?.[LABELS.role], role);
    assert.equal(labels?.['photoplane.test-run'], stack.runId);
  };
  const net = await docker.getNetwork(spec.names.network).inspect();
  ours(net.Labels, 'network');
  assert.equal(net.Driver, 'bridge');
  assert.equal(net.Internal, true, 'db and cache sit on an internal network');
  const egress = await docker.getNetwork(spec.names.egressNetwork).inspect();
  ours(egress.Labels, 'egress-network');
  assert.equal(egress.Internal, false);
  assert.equal(egress.Options?.['com.docker.network.bridge.name'], spec.names.egressBridge);
  ours((await docker.getVolume(spec.names.libraryVolume).inspect()).Labels, 'library');
  ours((await docker.getVolume(spec.names.databaseVolume).inspect()).Labels, 'database');

  for (const role of STACK_ROLES) {
    const c = await docker.getContainer(spec.names[role]).inspect();
    ours(c.Config.Labels, role);
    assert.equal(c.HostConfig.Memory, given.resources[role].memoryBytes, `${role} memory limit`);
    assert.equal(c.HostConfig.NanoCpus, given.resources[role].nanoCpus, `${role} CPU limit`);
    assert.equal(c.HostConfig.Init, true, `${role} Init`);
    assert.equal(c.HostConfig.RestartPolicy?.Name, 'unless-stopped');
    assert.equal(c.HostConfig.Privileged, false);
    assert.equal(c.HostConfig.PidsLimit, given.resources[role].pidsLimit, `${role} pids limit`);
    assert.deepEqual(c.HostConfig.CapDrop, ['ALL'], `${role} drops every capability`);
    assert.equal(c.HostConfig.ReadonlyRootfs, true, `${role} read-only root`);
    assert.deepEqual(c.Config.Healthcheck?.Test, given.healthchecks[role].test);
    assert.equal(c.Config.Healthcheck?.Interval, 300 * 1_000_000);
    assert.equal(c.State.Health?.Status, 'healthy', `${role} is healthy`);
    assert.deepEqual(
      Object.keys(c.NetworkSettings.Networks).sort(),
      role === 'app' ? [spec.names.egressNetwork, spec.names.network].sort() : [spec.names.network],
      `${role} is on its instance's networks only`,
    );
    const aliases = (c.NetworkSettings.Networks[spec.names.network]?.Aliases ?? []) as string[];
    assert.ok(aliases.includes(role), `${role} has the alias ${role}`);
    const published = Object.values(c.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []);
    if (role === 'app') {
      assert.deepEqual(
        published.map((b) => b.HostIp),
        ['127.0.0.1'],
        'the app publishes on loopback only',
      );
      assert.equal(Number(published[0]?.HostPort), first.appHostPort);
    } else {
      assert.deepEqual(published, [], `${role} publishes nothing`);
    }
  }
  const app = await docker.getContainer(spec.names.app).inspect();
  assert.deepEqual(
    app.Mounts.map((m) => [m.Name, m.Destination]),
    [[spec.names.libraryVolume, '/data']],
  );
  const db = await docker.getContainer(spec.names.db).inspect();
  assert.deepEqual(
    db.Mounts.map((m) => [m.Name, m.Destination]),
    [[spec.names.databaseVolume, '/var/lib/postgresql/data']],
  );

  const res = await fetch(`http://127.0.0.1:${first.appHostPort}/api/server/ping`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { res: 'pong' });

  const second = await ensureInstanceStack(docker, spec, { healthTimeoutMs: 60_000 });
  assert.equal(second.network.created, false);
  assert.equal(second.network.network.Id, first.network.network.Id);
  assert.equal(second.egressNetwork.created, false);
  assert.equal(second.volumes.library.created || second.volumes.database.created, false);
  for (const role of STACK_ROLES) {
    assert.equal(second.containers[role].created, false, `${role} not created again`);
    assert.equal(
      second.containers[role].container.Id,
      first.containers[role].container.Id,
      `${role} is the same container`,
    );
  }
  assert.deepEqual(second.drifted, []);
  assert.equal(second.appHostPort, first.appHostPort);
  const managed = await listManaged(docker, instanceId);
  assert.equal(managed.containers.length, 3);
  assert.equal(managed.networks.length, 2);
  assert.equal(managed.volumes.length, 2);
});

test('two instances are isolated: from inside instance A, B cannot be reached while A reaches its own app by alias', async (t) => {
  const a = newInstanceId();
  const b = newInstanceId();
  cleanupInstance(t, a);
  cleanupInstance(t, b);
  const specA = buildInstanceStackSpec(standinInput(a));
  const specB = buildInstanceStackSpec(standinInput(b));
  await Promise.all([ensureInstanceStack(docker, specA), ensureInstanceStack(docker, specB)]);
  const ipOf = async (name: string, network: string) => {
    const ip = (await docker.getContainer(name).inspect()).NetworkSettings.Networks[network]?.IPAddress;
    assert.ok(ip, `${name} has an address on ${network}`);
    return ip;
  };
  const aApp = await ipOf(specA.names.app, specA.names.network);
  const bApp = await ipOf(specB.names.app, specB.names.network);
  const bDb = await ipOf(specB.names.db, specB.names.network);
  // Each attempt is bounded by busybox's `timeout` (3 s): a dropped packet would otherwise hang until TCP gives up.
  // Not `wget -T`: this static busybox (Debian 1.35) crashes with SIGSEGV when given -T.
  const get = (url: string) => execIn(specA.names.cache, ['busybox', 'timeout', '3', 'wget', '-q', '-O', '-', url]);
  // Name lookups go through `busybox nslookup` (busybox's own resolver, asking Docker's embedded DNS): the static
  // glibc busybox's wget also crashes on any host name, as there are no NSS libraries in the image.
  const resolve = async (name: string) => {
    const r = await execIn(specA.names.cache, ['busybox', 'nslookup', '-type=a', name]);
    return { ...r, ips: [...r.output.matchAll(/^Address:\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]) };
  };

  const [alias, bAppName, bDbName] = await Promise.all([
    resolve('app'),
    resolve(specB.names.app),
    resolve(specB.names.db),
  ]);
  assert.deepEqual(alias.ips, [aApp], `in A, the alias "app" is A's own app: ${alias.output}`);
  assert.deepEqual(bAppName.ips, [], `A cannot even resolve B's app by name: ${bAppName.output}`);
  assert.deepEqual(bDbName.ips, [], `A cannot resolve B's db by name: ${bDbName.output}`);

  const [own, toBApp, toBDb] = await Promise.all([
    get(`http://${alias.ips[0]}:2283/api/server/ping`),
    get(`http://${bApp}:2283/api/server/ping`),
    get(`http://${bDb}:5432/`),
  ]);
  assert.equal(own.exitCode, 0, `A's cache reaches A's app (alias "app"): ${own.output}`);
  assert.match(own.output, /pong/);
  // Non-zero or no answer within the bound both mean "not reached".
  assert.notEqual(toBApp.exitCode, 0, `A must not reach B's app at ${bApp}: ${toBApp.output}`);
  assert.doesNotMatch(toBApp.output, /pong/);
  assert.notEqual(toBDb.exitCode, 0, `A must not reach B's db at ${bDb}: ${toBDb.output}`);
  assert.doesNotMatch(toBDb.output, /ok/);
});

test('an instance made before db and cache moved to an internal network is brought to the hardened shape: the old network and its containers replaced, the data kept', async (t) => {
  const instanceId = newInstanceId();
  cleanupInstance(t, instanceId);
  const spec = buildInstanceStackSpec(standinInput(instanceId));
  // The old shape: one plain network (Docker's default bridge name) holding a db with data in its volume.
  await docker.createNetwork({ Name: spec.names.network, Driver: 'bridge', Labels: spec.network.Labels });
  await ensureVolume(docker, spec.volumes.database);
  const old = await docker.createContainer({
    name: spec.names.db,
    Image: stack.images.busybox,
    Cmd: ['sh', '-c', 'echo kept > /var/lib/postgresql/data/marker && exec sleep 600'],
    Labels: spec.containers.db.Labels,
    HostConfig: {
      NetworkMode: spec.names.network,
      Init: true,
      Mounts: [{ Type: 'volume', Source: spec.names.databaseVolume, Target: '/var/lib/postgresql/data' }],
    },
  });
  await old.start();
  const oldNetworkId = (await docker.getNetwork(spec.names.network).inspect()).Id;
  assert.equal((await execIn(spec.names.db, ['cat', '/var/lib/postgresql/data/marker'])).output.trim(), 'kept');

  const up = await ensureInstanceStack(docker, spec, { healthTimeoutMs: 60_000 });
  assert.deepEqual(up.network.drift, [
    'internal false, expected true',
    `bridge (default), expected ${spec.names.internalBridge}`,
  ]);
  const net = await docker.getNetwork(spec.names.network).inspect();
  assert.notEqual(net.Id, oldNetworkId, 'replaced');
  assert.equal(net.Internal, true);
  assert.equal(net.Options?.['com.docker.network.bridge.name'], spec.names.internalBridge);
  const db = await docker.getContainer(spec.names.db).inspect();
  assert.notEqual(db.Id, old.id, 'the db was recreated from the spec');
  assert.equal(db.HostConfig.ReadonlyRootfs, true);
  assert.equal((await execIn(spec.names.db, ['cat', '/var/lib/postgresql/data/marker'])).output.trim(), 'kept');
  const again = await ensureInstanceStack(docker, spec, { healthTimeoutMs: 60_000 });
  assert.deepEqual([again.network.drift, again.egressNetwork.drift], [[], []], 'nothing to replace the second time');
});

test('removeInstanceStack leaves nothing labelled with the instance; keepVolumes keeps exactly the volumes; a second call is a no-op', async (t) => {
  const instanceId = newInstanceId();
  cleanupInstance(t, instanceId);
  const spec = buildInstanceStackSpec(standinInput(instanceId));
  await ensureInstanceStack(docker, spec);

  const kept = await removeInstanceStack(docker, instanceId, { keepVolumes: true });
  assert.deepEqual(kept.containers.sort(), [spec.names.app, spec.names.cache, spec.names.db].sort());
  assert.deepEqual(kept.networks.sort(), [spec.names.egressNetwork, spec.names.network].sort());
  assert.deepEqual(kept.volumes, []);
  let left = await listManaged(docker, instanceId);
  assert.deepEqual(left.containers, []);
  assert.deepEqual(left.networks, []);
  assert.deepEqual(
    left.volumes.map((v) => v.Name).sort(),
    [spec.names.databaseVolume, spec.names.libraryVolume].sort(),
  );
  for (const role of STACK_ROLES) assert.equal(await inspectContainer(docker, spec.names[role]), undefined);

  assert.deepEqual(await removeInstanceStack(docker, instanceId, { keepVolumes: true }), {
    containers: [],
    networks: [],
    volumes: [],
  });

  const all = await removeInstanceStack(docker, instanceId);
  assert.deepEqual(all.volumes.sort(), [spec.names.databaseVolume, spec.names.libraryVolume].sort());
  left = await listManaged(docker, instanceId);
  assert.deepEqual([left.containers, left.networks, left.volumes], [[], [], []]);
  assert.deepEqual(await removeInstanceStack(docker, instanceId), { containers: [], networks: [], volumes: [] });
  assert.deepEqual(
    await removeInstanceStack(docker, newInstanceId()),
    { containers: [], networks: [], volumes: [] },
    'nothing to remove is fine',
  );
});

test('ensureX refuses a foreign resource with our deterministic name and never deletes it', async (t) => {
  const instanceId = newInstanceId();
  const other = newInstanceId();
  cleanupInstance(t, instanceId);
  const spec = buildInstanceStackSpec(standinInput(instanceId));
  // A network with our name and no labels of ours, and a volume with our name that belongs to another instance.
  await docker.createNetwork({ Name: spec.names.network, Driver: 'bridge', Labels: runLabels });
  t.after(() => removeNetwork(docker, spec.names.network));
  await docker.createVolume({
    Name: spec.names.libraryVolume,
    Labels: instanceLabels({ instanceId: other, subscriptionId: 'sub-other', role: 'library', extra: runLabels }),
  });
  t.after(async () => {
    await removeVolume(docker, spec.names.libraryVolume);
  });

  await assert.rejects(ensureNetwork(docker, spec.network), (e: unknown) => {
    assert.ok(e instanceof ForeignResourceError);
    assert.equal(e.kind, 'network');
    assert.match(e.message, /photoplane\.managed=\(missing\)/);
    return true;
  });
  await assert.rejects(ensureInstanceStack(docker, spec), ForeignResourceError);
  await assert.rejects(ensureVolume(docker, spec.volumes.library), (e: unknown) => {
    assert.ok(e instanceof ForeignResourceError);
    assert.match(e.message, new RegExp(`photoplane\\.instance=${other}`));
    return true;
  });

  await removeInstanceStack(docker, instanceId);
  const net = await docker.getNetwork(spec.names.network).inspect();
  assert.equal(net.Labels?.[LABELS.managed], undefined, 'the foreign network is still there, untouched');
  const vol = await docker.getVolume(spec.names.libraryVolume).inspect();
  assert.equal(vol.Labels[LABELS.instance], other, 'the other instance keeps its volume');
  const managed = await listManaged(docker, instanceId);
  assert.deepEqual(
    [managed.containers, managed.networks, managed.volumes],
    [[], [], []],
    'nothing of ours was created',
  );
});

test('ensureContainer reports a container made from another spec as drift and leaves it running as it is', async (t) => {
  const instanceId = newInstanceId();
  cleanupInstance(t, instanceId);
  const spec = buildInstanceStackSpec(standinInput(instanceId));
  await ensureNetwork(docker, spec.network);
  const first = await ensureContainer(docker, spec.containers.cache);
  const changed = buildInstanceStackSpec({
    ...standinInput(instanceId),
    commands: { cache: httpdOn(6380), db: httpdOn(5432) },
  });
  const again = await ensureContainer(docker, changed.containers.cache);
  assert.equal(again.created, false);
  assert.equal(again.container.Id, first.container.Id, 'not recreated');
  assert.equal(again.drifted, true);
  assert.deepEqual(
    again.drift.map((d) => d.field),
    ['spec-hash'],
  );
  const same = await ensureContainer(docker, spec.containers.cache);
  assert.equal(same.drifted, false);
});

test('waitHealthy fails fast with the health-check output when a container turns unhealthy, and with its logs when it exits', async (t) => {
  const instanceId = newInstanceId();
  cleanupInstance(t, instanceId);
  const labels = instanceLabels({ instanceId, subscriptionId: 'sub', role: 'cache', extra: runLabels });
  const base = { Image: stack.images.busybox, Labels: labels, HostConfig: { NetworkMode: 'none', Init: true } };
  const sick: ContainerSpec = {
    ...base,
    name: `pp-${instanceId}-sick`,
    Cmd: ['sleep', '60'],
    Healthcheck: { Test: ['CMD', 'sh', '-c', 'echo disk on fire; exit 1'], Interval: 200e6, Timeout: 1e9, Retries: 2 },
  };
  const dying: ContainerSpec = {
    ...base,
    name: `pp-${instanceId}-dying`,
    Cmd: ['sh', '-c', 'echo cannot open database >&2; exit 3'],
  };
  for (const c of [sick, dying]) {
    await ensureContainer(docker, c);
    t.after(() => removeContainer(docker, c.name));
    await startContainer(docker, c.name);
  }
  const started = Date.now();
  await assert.rejects(waitHealthy(docker, sick.name, { timeoutMs: 30_000 }), (e: unknown) => {
    assert.ok(e instanceof ContainerNotHealthyError);
    assert.equal(e.reason, 'unhealthy');
    assert.match(e.message, /disk on fire/);
    return true;
  });
  assert.ok(Date.now() - started < 10_000, 'long before the timeout');
  await assert.rejects(waitHealthy(docker, dying.name, { timeoutMs: 30_000 }), (e: unknown) => {
    assert.ok(e instanceof ContainerNotHealthyError);
    assert.equal(e.reason, 'exited');
    assert.match(e.message, /exit code 3/);
    assert.match(e.message, /cannot open database/);
    return true;
  });
  assert.equal(await startContainer(docker, sick.name), false, 'starting a running container is fine');
});
