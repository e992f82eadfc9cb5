// The pure half of an instance stack: from what the provisioner decided (images, limits, credentials) to the exact
// Engine create options of the networks, volumes and three containers. No I/O, so every rule about what an instance
// looks like (limits, capabilities, read-only roots, networks, 127.0.0.1-only ports, labels, names) is unit-tested
// without Docker.
import type { ContainerSpec } from './containers.ts';
import { withSpecHash } from './containers.ts';
import { instanceLabels, type Labels } from './labels.ts';
import { instanceNames, type InstanceNames } from './names.ts';
import type { NetworkSpec } from './networks.ts';
import type { VolumeSpec } from './volumes.ts';

export type StackRole = 'db' | 'cache' | 'app';
export const STACK_ROLES: readonly StackRole[] = ['db', 'cache', 'app'];

export interface ContainerResources {
  memoryBytes: number;
  /** CPU in billionths of a CPU (1e9 = one CPU). */
  nanoCpus: number;
  /** Most processes and threads the container may hold at once: a fork bomb stops here, not at the host's limit. */
  pidsLimit: number;
}

/** What one image needs to run, and nothing more. */
export interface ContainerHardening {
  /** Capabilities added back after dropping all of them (only those in ALLOWED_CAPABILITIES). */
  capAdd: string[];
  /** Root filesystem read-only; what the image must write goes to `tmpfs` or a volume. */
  readOnlyRootfs: boolean;
  /** Absolute paths that get a small tmpfs (noexec, nosuid, nodev), counted against the container's memory. */
  tmpfs: string[];
}

/**
 * Capabilities an image may get back. The rest (NET_RAW, NET_ADMIN, SYS_ADMIN, SYS_PTRACE, MKNOD…) are what a
 * container escape or an attack on its neighbours needs, and no photo-app component needs them.
 */
export const ALLOWED_CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETGID',
  'SETUID',
];

const TMPFS_OPTIONS = 'rw,noexec,nosuid,nodev,size=64m';

export interface HealthcheckInput {
  /** Docker's Test array: ['CMD', ...] or ['CMD-SHELL', '...']. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export interface InstanceStackInput {
  instanceId: string;
  subscriptionId: string;
  images: Record<StackRole, string>;
  resources: Record<StackRole, ContainerResources>;
  /** Credentials of the instance's own database. The password comes from the caller (a stored secret), never from here. */
  database: { password: string; username?: string; name?: string };
  healthchecks: Record<StackRole, HealthcheckInput>;
  hardening: Record<StackRole, ContainerHardening>;
  /** Extra env for the app (TZ, log level...); it cannot override the wiring below. */
  appEnv?: Record<string, string>;
  /** Cmd overrides, e.g. stand-in images in tests. */
  commands?: Partial<Record<StackRole, string[]>>;
  /** Port the photo app listens on inside its container (Immich: 2283). */
  appPort?: number;
  extraLabels?: Labels;
  /**
   * Local stack only: the edge's unix socket on the host. Its folder is bind-mounted read-only into the app at
   * EDGE_SOCKET_DIR and STANDIN_EDGE_SOCKET names the socket there; the app dials it for every outgoing request
   * (the OpenID discovery, keys and tokens at its own instance host) instead of resolving the host.
   */
  edgeSocketPath?: string;
}

/** Where the edge socket's folder appears inside the app container. */
export const EDGE_SOCKET_DIR = '/run/photoplane-edge';

export interface InstanceStackSpec {
  instanceId: string;
  names: InstanceNames;
  appPort: number;
  /** Internal (no gateway, no route out): the app reaches db and cache here, and db and cache reach nothing else. */
  network: NetworkSpec;
  /** The app's own network with a gateway: its published port and its outgoing traffic (filtered by the host). */
  egressNetwork: NetworkSpec;
  volumes: { library: VolumeSpec; database: VolumeSpec };
  containers: Record<StackRole, ContainerSpec>;
}

export class InvalidStackInputError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid instance stack input: ${field} ${reason}`);
    this.name = 'InvalidStackInputError';
  }
}

/** Where each role's data lives inside its container (Immich's compose file uses the same paths). */
const MEDIA_PATH = '/data';
const POSTGRES_DATA_PATH = '/var/lib/postgresql/data';
const DB_PORT = 5432;
const CACHE_PORT = 6379;
const DEFAULT_APP_PORT = 2283;

const MS = 1_000_000; // Engine health-check durations are nanoseconds

function positiveInt(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidStackInputError(field, 'must be a positive integer');
  }
  return value;
}

function nonEmpty(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidStackInputError(field, 'must be a non-empty string');
  // Env entries and labels are single lines; a newline in them is a mistake or an injection attempt.
  if (/[\r\n\0]/.test(value)) throw new InvalidStackInputError(field, 'must not contain line breaks or NUL');
  return value;
}

function healthConfig(role: StackRole, h: HealthcheckInput): ContainerSpec['Healthcheck'] {
  const [kind] = h.test;
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') {
    throw new InvalidStackInputError(
      `healthchecks.${role}.test`,
      "must start with 'CMD' or 'CMD-SHELL' (an instance without a health check cannot be waited for)",
    );
  }
  if (h.test.length < 2) throw new InvalidStackInputError(`healthchecks.${role}.test`, 'needs a command');
  return {
    Test: h.test,
    Interval: (h.intervalMs ?? 5_000) * MS,
    Timeout: (h.timeoutMs ?? 3_000) * MS,
    Retries: h.retries ?? 5,
    StartPeriod: (h.startPeriodMs ?? 30_000) * MS,
  };
}

function hardeningOf(role: StackRole, h: ContainerHardening | undefined): NonNullable<ContainerSpec['HostConfig']> {
  if (!h) throw new InvalidStackInputError(`hardening.${role}`, 'is required');
  for (const cap of h.capAdd) {
    if (!ALLOWED_CAPABILITIES.includes(cap))
      throw new InvalidStackInputError(
        `hardening.${role}.capAdd`,
        `may only hold ${ALLOWED_CAPABILITIES.join(', ')} (got ${JSON.stringify(cap)})`,
      );
  }
  const tmpfs: Record<string, string> = {};
  for (const p of h.tmpfs) {
    if (!/^\/[A-Za-z0-9._/-]*$/.test(p) || p.split('/').includes('..'))
      throw new InvalidStackInputError(`hardening.${role}.tmpfs`, `must be absolute paths (got ${JSON.stringify(p)})`);
    tmpfs[p] = TMPFS_OPTIONS;
  }
  return {
    CapDrop: ['ALL'],
    CapAdd: [...h.capAdd],
    ReadonlyRootfs: h.readOnlyRootfs === true,
    ...(h.tmpfs.length ? { Tmpfs: tmpfs } : {}),
  };
}

function env(vars: Record<string, string | number>): string[] {
  return Object.entries(vars).map(([k, v]) => `${k}=${v}`);
}

function edgeSocketMount(socketPath: string): { hostDir: string; target: string } {
  nonEmpty('edgeSocketPath', socketPath);
  const slash = socketPath.lastIndexOf('/');
  const hostDir = socketPath.slice(0, slash);
  const file = socketPath.slice(slash + 1);
  if (!socketPath.startsWith('/') || !hostDir || !file || socketPath.includes('/../') || socketPath.includes(':'))
    throw new InvalidStackInputError('edgeSocketPath', 'must be an absolute path to a socket inside a folder');
  return { hostDir, target: `${EDGE_SOCKET_DIR}/${file}` };
}

export function buildInstanceStackSpec(input: InstanceStackInput): InstanceStackSpec {
  const names = instanceNames(input.instanceId); // validates the id
  const subscriptionId = nonEmpty('subscriptionId', input.subscriptionId);
  const appPort = input.appPort ?? DEFAULT_APP_PORT;
  if (!Number.isInteger(appPort) || appPort < 1 || appPort > 65535)
    throw new InvalidStackInputError('appPort', 'must be a TCP port');
  const dbPassword = nonEmpty('database.password', input.database?.password);
  const dbUser = nonEmpty('database.username', input.database?.username ?? 'postgres');
  const dbName = nonEmpty('database.name', input.database?.name ?? 'immich');

  const labels = (role: Parameters<typeof instanceLabels>[0]['role']): Labels =>
    instanceLabels({ instanceId: input.instanceId, subscriptionId, role, extra: input.extraLabels });

  const network: NetworkSpec = {
    Name: names.network,
    Driver: 'bridge',
    // No gateway and no route out: the database and cache have no business talking to anything but the app.
    Internal: true,
    Options: { 'com.docker.network.bridge.name': names.internalBridge },
    Labels: labels('network'),
  };
  const egressNetwork: NetworkSpec = {
    Name: names.egressNetwork,
    Driver: 'bridge',
    // Not internal: the app's port is published here and it fetches what its admin points it at (map tiles, an
    // OAuth issuer). The host's firewall keeps that traffic off the host, link-local and private ranges; the
    // bridge name's prefix is what its rules match.
    Internal: false,
    Options: { 'com.docker.network.bridge.name': names.egressBridge },
    Labels: labels('egress-network'),
  };
  const volumes = {
    library: { Name: names.libraryVolume, Driver: 'local', Labels: labels('library') },
    database: { Name: names.databaseVolume, Driver: 'local', Labels: labels('database') },
  };

  const container = (
    role: StackRole,
    extra: Partial<ContainerSpec> & { HostConfig: NonNullable<ContainerSpec['HostConfig']> },
  ): ContainerSpec => {
    const { memoryBytes, nanoCpus, pidsLimit } = input.resources?.[role] ?? ({} as Partial<ContainerResources>);
    const image = nonEmpty(`images.${role}`, input.images?.[role]);
    const health = input.healthchecks?.[role];
    if (!health) throw new InvalidStackInputError(`healthchecks.${role}`, 'is required');
    const memory = positiveInt(`resources.${role}.memoryBytes`, memoryBytes);
    const cmd = input.commands?.[role];
    return withSpecHash({
      ...extra,
      name: names[role],
      Image: image,
      ...(cmd ? { Cmd: cmd } : {}),
      Labels: labels(role),
      Healthcheck: healthConfig(role, health),
      HostConfig: {
        ...extra.HostConfig,
        ...hardeningOf(role, input.hardening?.[role]),
        Memory: memory,
        MemorySwap: memory, // no swap on top: the limit is the limit
        NanoCpus: positiveInt(`resources.${role}.nanoCpus`, nanoCpus),
        PidsLimit: positiveInt(`resources.${role}.pidsLimit`, pidsLimit),
        // docker-init as PID 1 forwards SIGTERM and reaps zombies, so a stop is quick instead of a 10 s SIGKILL.
        Init: true,
        // Comes back after a crash or an Engine restart; a deliberate stop (suspend) stays stopped.
        RestartPolicy: { Name: 'unless-stopped' },
        NetworkMode: role === 'app' ? names.egressNetwork : names.network,
        Privileged: false,
        SecurityOpt: ['no-new-privileges:true'],
        // One tenant's chatty logs must not fill the host's disk.
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      },
      // The alias is what the app's DB_HOSTNAME/REDIS_HOSTNAME name; it resolves only inside this network. The app
      // joins the internal network too (ensureContainer connects endpoints beyond NetworkMode after create).
      NetworkingConfig: {
        EndpointsConfig: {
          ...(role === 'app' ? { [names.egressNetwork]: { Aliases: [role] } } : {}),
          [names.network]: { Aliases: [role] },
        },
      },
    });
  };

  const db = container('db', {
    Env: env({
      POSTGRES_USER: dbUser,
      POSTGRES_PASSWORD: dbPassword,
      POSTGRES_DB: dbName,
      POSTGRES_INITDB_ARGS: '--data-checksums',
    }),
    StopTimeout: 30, // let PostgreSQL finish a checkpoint rather than be killed
    HostConfig: {
      Mounts: [{ Type: 'volume', Source: names.databaseVolume, Target: POSTGRES_DATA_PATH }],
      ShmSize: 128 * 1024 * 1024, // as Immich's compose file: PostgreSQL's parallel queries need more than 64 MiB
    },
  });

  const cache = container('cache', { HostConfig: {} });

  const edgeSocket = input.edgeSocketPath === undefined ? undefined : edgeSocketMount(input.edgeSocketPath);
  const appPortKey = `${appPort}/tcp`;
  const app = container('app', {
    Env: env({
      ...input.appEnv,
      DB_HOSTNAME: 'db',
      DB_PORT: DB_PORT,
      DB_USERNAME: dbUser,
      DB_PASSWORD: dbPassword,
      DB_DATABASE_NAME: dbName,
      REDIS_HOSTNAME: 'cache',
      REDIS_PORT: CACHE_PORT,
      IMMICH_PORT: appPort,
      // Immich reads IMMICH_MEDIA_LOCATION; UPLOAD_LOCATION is the compose-file name, set too for images that read it.
      IMMICH_MEDIA_LOCATION: MEDIA_PATH,
      UPLOAD_LOCATION: MEDIA_PATH,
      ...(edgeSocket ? { STANDIN_EDGE_SOCKET: edgeSocket.target } : {}),
    }),
    ExposedPorts: { [appPortKey]: {} },
    HostConfig: {
      Mounts: [
        { Type: 'volume', Source: names.libraryVolume, Target: MEDIA_PATH },
        // Only the socket's own folder, read-only: connecting to a socket needs no write access to the mount.
        ...(edgeSocket
          ? [{ Type: 'bind' as const, Source: edgeSocket.hostDir, Target: EDGE_SOCKET_DIR, ReadOnly: true }]
          : []),
      ],
      // Only the app is reachable from the host, only on loopback (the edge proxy forwards to it), on a port the
      // Engine picks so instances never collide.
      PortBindings: { [appPortKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
  });

  return {
    instanceId: input.instanceId,
    names,
    appPort,
    network,
    egressNetwork,
    volumes,
    containers: { db, cache, app },
  };
}
