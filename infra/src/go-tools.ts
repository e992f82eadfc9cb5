// Tools built from source with `go install` once, into a cache folder shared by every clone on the machine.
// No prebuilt binaries can be downloaded here, but the Go module proxy is reachable.
import fs from 'node:fs';
import path from 'node:path';
import { say } from './log.ts';
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

/**
 * The tool's binary in the cache (`<toolsDir>/<version>/<name>`), built on first use. Building the Temporal
 * CLI takes several minutes on two cores; it happens once per machine.
 */
export async function ensureGoTool(tool: GoTool, toolsDir: string): Promise<string> {
  const version = tool.module.split('@')[1] ?? 'latest';
  const binDir = path.join(toolsDir, tool.name, version);
  const binary = path.join(binDir, tool.name);
  if (fs.existsSync(binary)) return binary;
  const go = findOnPath('go');
  if (!go) throw new Error(`${tool.name} is not installed and Go is not on PATH to build it (${tool.module})`);
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
  say(tool.name, `built in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  return binary;
}
