// What the docker/ layer tests share: the run's Docker Engine, stand-in instance inputs (the photo-app stand-in as
// the app, busybox httpd as db and cache), bounded exec inside a container, and per-test cleanup.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { TestContext } from 'node:test';
import { testLabels, testStack } from '@photoplane/infra/testing';
import { dockerClient, removeInstanceStack, type InstanceStackInput } from '../src/docker/index.ts';

export const stack = testStack();
export const docker = dockerClient(stack.dockerHost);
export const runLabels = testLabels(stack.runId);
const MiB = 1024 * 1024;

export function newInstanceId(): string {
  return `t${stack.runId}${randomBytes(3).toString('hex')}`;
}

/** busybox httpd serving a file, so that a plain GET answers 200 (httpd gives 404 without an index). */
export function httpdOn(port: number): string[] {
  return ['sh', '-c', `mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${port} -h /www`];
}

export function getOn(port: number): string[] {
  return ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}/`];
}

export const fastChecks = { intervalMs: 300, timeoutMs: 2_000, retries: 3, startPeriodMs: 5_000 };

export function standinInput(instanceId: string): InstanceStackInput {
  return {
    instanceId,
    subscriptionId: `sub-${instanceId}`,
    images: { app: stack.images.photoAppStandin, db: stack.images.busybox, cache: stack.images.busybox },
    resources: {
      app: { memoryBytes: 128 * MiB, nanoCpus: 0.5e9, pidsLimit: 128 },
      db: { memoryBytes: 64 * MiB, nanoCpus: 0.25e9, pidsLimit: 64 },
      cache: { memoryBytes: 32 * MiB, nanoCpus: 0.2e9, pidsLimit: 32 },
    },
    database: { password: randomBytes(12).toString('hex') },
    healthchecks: {
      app: { test: ['CMD', '/photo-app-standin', '-healthcheck'], ...fastChecks },
      db: { test: getOn(5432), ...fastChecks },
      cache: { test: getOn(6379), ...fastChecks },
    },
    commands: { db: httpdOn(5432), cache: httpdOn(6379) },
    hardening: {
      app: { capAdd: [], readOnlyRootfs: true, tmpfs: ['/tmp'] },
      db: { capAdd: [], readOnlyRootfs: true, tmpfs: ['/www'] },
      cache: { capAdd: [], readOnlyRootfs: true, tmpfs: ['/www'] },
    },
    extraLabels: runLabels,
  };
}

/** Removes the instance's stack after the test, whether it passed or not. */
export function cleanupInstance(t: TestContext, instanceId: string): void {
  t.after(async () => {
    await removeInstanceStack(docker, instanceId);
  });
}

export interface ExecResult {
  /** null: no answer within the bound (the command was still running). */
  exitCode: number | null;
  output: string;
}

/** Runs a command inside one of our containers, bounded, and returns its exit code and output. */
export async function execIn(container: string, cmd: string[], boundMs = 10_000): Promise<ExecResult> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, out, out);
  const ended = await Promise.race([
    new Promise<boolean>((resolve, reject) => {
      stream.on('end', () => resolve(true));
      stream.on('error', reject);
    }),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), boundMs).unref()),
  ]);
  if (!ended) {
    stream.destroy();
    return { exitCode: null, output: Buffer.concat(chunks).toString('utf8') };
  }
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? null, output: Buffer.concat(chunks).toString('utf8') };
}
