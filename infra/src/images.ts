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
