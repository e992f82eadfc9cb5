// Tools built from source with `go install` once, into a cache folder shared by every clone on the machine.
// No prebuilt binaries can be downloaded here, but the Go module proxy is reachable. Caddy is built with `go build`
// from infra/caddy (Caddy plus the edge's own rate-limit module), keyed by a hash of that folder's source.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './config.ts';
import { formatDuration, recordFirstRunStep, say } from './log.ts';
import { StackProblem } from './problem.ts';
import { run } from './process.ts';

export type GoTool =
  | {
      /** Binary name, as `go install` names it. */
      name: string;
      /** Module path with an exact version: builds are reproducible and the cache stays valid. */
      module: string;
    }
  | {
      name: string;
      /** A Go module in this repository (its own go.mod and go.sum), relative to the repository's root. */
      sourceDir: string;
      /** The main package inside it, as `go build` takes it. */
      mainPackage: string;
    };

export const TEMPORAL_CLI: GoTool = { name: 'temporal', module: 'github.com/temporalio/cli/cmd/temporal@v1.5.1' };
export const STRIPE_MOCK: GoTool = { name: 'stripe-mock', module: 'github.com/stripe/stripe-mock@v0.203.0' };
/** Caddy v2.11.9 (pinned in infra/caddy/go.mod) with the standard modules and the edge's rate limit. */
export const CADDY: GoTool = { name: 'caddy', sourceDir: 'infra/caddy', mainPackage: './cmd/caddy' };
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

/**
 * What a source-built tool's binary is made of: every file of its module but the tests. A change to any of them is
 * a new cache key, so an edited module is rebuilt, and a clone on another branch never runs a stale binary.
 */
export function sourceHash(sourceDir: string): string {
  const root = path.join(repoRoot, sourceDir);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.go$|^go\.(mod|sum)$/.test(entry.name) && !entry.name.endsWith('_test.go')) files.push(full);
    }
  };
  walk(root);
  const hash = createHash('sha256');
  for (const file of files.sort()) hash.update(`${path.relative(root, file)}\0`).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Where the cache keeps a tool's binary: `<toolsDir>/<name>/<version>/<name>`; for one built from this repository
 * the version is `src-<hash of its source>`.
 */
export function goToolBinary(tool: GoTool, toolsDir: string): string {
  const version = 'module' in tool ? (tool.module.split('@')[1] ?? 'latest') : `src-${sourceHash(tool.sourceDir)}`;
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
      `${tool.name} is not built yet and there is no Go toolchain to build it (${describe(tool)})`,
      'install Go 1.26 or newer and put it on PATH',
    );
  say(tool.name, `building ${describe(tool)} (once per machine and version; this can take minutes)`);
  const started = Date.now();
  fs.mkdirSync(binDir, { recursive: true });
  // Build into a temporary folder and move into place, so an interrupted build never leaves a broken binary.
  const tmp = fs.mkdtempSync(path.join(binDir, '.build-'));
  try {
    const env = { ...process.env, GOBIN: tmp, CGO_ENABLED: '0' };
    if ('module' in tool) await run(go, ['install', '-trimpath', tool.module], { env });
    else
      await run(go, ['build', '-trimpath', '-o', path.join(tmp, tool.name), tool.mainPackage], {
        env,
        cwd: path.join(repoRoot, tool.sourceDir),
      });
    fs.renameSync(path.join(tmp, tool.name), binary);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const ms = Date.now() - started;
  recordFirstRunStep(`go ${'module' in tool ? 'install' : 'build'} ${tool.name}`, ms);
  say(tool.name, `built in ${formatDuration(ms)} (once per machine; later runs reuse ${binary})`);
  return binary;
}

function describe(tool: GoTool): string {
  return 'module' in tool ? `${tool.module} with go install` : `${tool.sourceDir} with go build`;
}
