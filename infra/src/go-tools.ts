// Tools built from source with `go install` once, into a cache folder shared by every clone on the machine.
// No prebuilt binaries can be downloaded here, but the Go module proxy is reachable.
import fs from 'node:fs';
import path from 'node:path';
import { formatDuration, recordFirstRunStep, say } from './log.ts';
import { StackProblem } from './problem.ts';
import { run } from './process.ts';

export interface GoTool {
  /** Binary name, as `go install` names it. */
  name: string;
  /** Module path with an exact version: builds are reproducible and the cache stays valid. */
  module: string;
}

export const TEMPORAL_CLI: GoTool = { name: 'temporal', module: 'github.com/temporalio/cli/cmd/temporal@v1.5.1' };
export const STRIPE_MOCK: GoTool = { name: 'stripe-mock', module: 'github.com/stripe/stripe-mock@v0.203.0' };
export const CADDY: GoTool = { name: 'caddy', module: 'github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9' };
/** Prometheus's own checker, for the alert rules and dashboard queries in infra/monitoring (tests only). */
export const PROMTOOL: GoTool = {
  name: 'promtool',
  module: 'github.com/prometheus/prometheus/cmd/promtool@v0.316.0',
};

/** The backup tool (SPEC F1): encrypted, deduplicated repositories per instance; run by the provisioner worker. */
export const RESTIC: GoTool = { name: 'restic', module: 'github.com/restic/restic/cmd/restic@v0.18.1' };

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The Go toolchain: `go` on PATH, else the official tarball's place, /usr/local/go/bin/go. */
export function findGo(): string | undefined {
  const fallback = '/usr/local/go/bin/go';
  return findOnPath('go') ?? (fs.existsSync(fallback) ? fallback : undefined);
}

/** Where the cache keeps a tool's binary: `<toolsDir>/<name>/<version>/<name>`. */
export function goToolBinary(tool: GoTool, toolsDir: string): string {
  const version = tool.module.split('@')[1] ?? 'latest';
  return path.join(toolsDir, tool.name, version, tool.name);
}

/**
 * The tool's binary in the cache (`<toolsDir>/<version>/<name>`), built on first use. Building the Temporal
 * CLI takes several minutes on two cores; it happens once per machine.
 */
export async function ensureGoTool(tool: GoTool, toolsDir: string): Promise<string> {
  const binary = goToolBinary(tool, toolsDir);
  const binDir = path.dirname(binary);
  if (fs.existsSync(binary)) return binary;
  const go = findGo();
  if (!go)
    throw new StackProblem(
      `${tool.name} is not built yet and there is no Go toolchain to build it (${tool.module})`,
      'install Go 1.26 or newer and put it on PATH',
    );
  say(tool.name, `building ${tool.module} with go install (once per machine; this can take minutes)`);
  const started = Date.now();
  fs.mkdirSync(binDir, { recursive: true });
  // Build into a temporary folder and move into place, so an interrupted build never leaves a broken binary.
  const tmp = fs.mkdtempSync(path.join(binDir, '.build-'));
  try {
    await run(go, ['install', '-trimpath', tool.module], { env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0' } });
    fs.renameSync(path.join(tmp, tool.name), binary);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const ms = Date.now() - started;
  recordFirstRunStep(`go install ${tool.name}`, ms);
  say(tool.name, `built in ${formatDuration(ms)} (once per machine; later runs reuse ${binary})`);
  return binary;
}
