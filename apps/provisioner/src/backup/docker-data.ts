// Reading and writing an instance's data through the Docker Engine's API only, so backups work the same when the
// engine is remote (tcp:// with mutual TLS): the library volume as a tar through the archive API of a short-lived
// helper container that mounts it (never started: the engine mounts a created container's volumes for archive
// requests), and the database dump through `exec` in the instance's own container.
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { removeContainer } from '../docker/index.ts';

/** Where a helper container mounts the library volume; the tar's entries start with `library/`. */
export const HELPER_MOUNT = '/library';

export interface HelperOptions {
  volume: string;
  /** An image the host has (the instance's app image): the helper never runs, so any image will do. */
  image: string;
  readOnly: boolean;
  labels: Record<string, string>;
  /** Prefix of the helper's name, e.g. pp-<instance>. */
  namePrefix: string;
}

/** Creates the helper, runs fn with it, and removes it whatever happens. */
export async function withVolumeHelper<T>(
  docker: Docker,
  opts: HelperOptions,
  fn: (container: Docker.Container) => Promise<T>,
): Promise<T> {
  const container = await docker.createContainer({
    name: `${opts.namePrefix}-backup-${randomBytes(3).toString('hex')}`,
    Image: opts.image,
    Entrypoint: ['/bin/true'],
    Cmd: [],
    Labels: opts.labels,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [{ Type: 'volume', Source: opts.volume, Target: HELPER_MOUNT, ReadOnly: opts.readOnly }],
    },
  });
  try {
    return await fn(container);
  } finally {
    await removeContainer(docker, container.id).catch(() => undefined);
  }
}

/** The volume's files as a tar stream (entries `library/…`). */
export async function readVolumeTar(container: Docker.Container): Promise<Readable> {
  return (await container.getArchive({ path: HELPER_MOUNT })) as unknown as Readable;
}

/** Unpacks a tar stream whose entries start with `library/` into the mounted volume. */
export async function writeVolumeTar(container: Docker.Container, tar: Readable | Buffer): Promise<void> {
  await container.putArchive(Buffer.isBuffer(tar) ? tar : tar, { path: '/' });
}

/**
 * Runs `cmd` in a running container and returns its stdout as a stream; `done` settles when the command has
 * ended, and rejects when it exited non-zero (with its stderr), so a broken dump is never taken for a good one.
 */
export async function execStdout(
  docker: Docker,
  containerName: string,
  cmd: string[],
): Promise<{ stdout: Readable; done: Promise<void> }> {
  const exec = await docker.getContainer(containerName).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  let stderr = '';
  const errors = new PassThrough();
  errors.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  docker.modem.demuxStream(stream, stdout, errors);
  const done = new Promise<void>((resolve, reject) => {
    stream.on('error', (e: Error) => {
      stdout.destroy(e);
      reject(e);
    });
    stream.on('end', () => {
      exec.inspect().then((info) => {
        if (info.ExitCode === 0) {
          stdout.end();
          resolve();
        } else {
          const err = new Error(`${cmd.join(' ')} exited ${info.ExitCode ?? '?'}: ${stderr.trim().slice(0, 500)}`);
          stdout.destroy(err);
          reject(err);
        }
      }, reject);
    });
  });
  return { stdout, done };
}

/**
 * Runs `cmd` in a running container with `input` as its stdin (a database restore); rejects on a non-zero exit.
 */
export async function execWithStdin(
  docker: Docker,
  containerName: string,
  cmd: string[],
  input: Buffer,
): Promise<void> {
  const exec = await docker
    .getContainer(containerName)
    .exec({ Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: true });
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => {
    if (output.length < 8192) output += d.toString();
  });
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    stream.write(input);
    // Half-close: the command sees the end of its input, and its output still comes back.
    (stream as unknown as { end(): void }).end();
  });
  const info = await exec.inspect();
  if (info.ExitCode !== 0)
    throw new Error(`${cmd.join(' ')} exited ${info.ExitCode ?? '?'}: ${output.trim().slice(0, 500)}`);
}

/** A tar holding one regular file (ustar), for putting a restored dump back into a volume. */
export function singleFileTar(name: string, content: Buffer, mode = 0o600): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`file name too long for a plain tar header: ${name}`);
  const header = Buffer.alloc(512, 0);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'utf8');
  const octal = (offset: number, length: number, value: number) =>
    field(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  field(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, content.length);
  octal(136, 12, Math.floor(Date.now() / 1000));
  header.fill(' ', 148, 156); // checksum computed over spaces
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024, 0)]);
}
