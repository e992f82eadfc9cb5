// Python tools installed from PyPI once, into a virtual environment in the tools cache shared by every clone on the
// machine (like the Go tools in go-tools.ts). Only `npm test` needs one: schemathesis, for the portal's API contract.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './config.ts';
import { findOnPath } from './go-tools.ts';
import { formatDuration, recordFirstRunStep, say } from './log.ts';
import { StackProblem } from './problem.ts';
import { run } from './process.ts';

export interface PythonTool {
  /** The console script the package installs, and the folder name in the cache. */
  name: string;
  /** The package's exact version: the cache folder is named by it. */
  version: string;
  /** A requirements file pinning the package and every dependency (`pip freeze` of a working install). */
  requirements: string;
  /** The oldest Python the package supports. */
  minPython: [number, number];
}

/** The property-based OpenAPI tester the portal's contract test runs (issue 16). */
export const SCHEMATHESIS: PythonTool = {
  name: 'schemathesis',
  version: '4.32.5',
  requirements: path.join(repoRoot, 'infra', 'tools', 'schemathesis-requirements.txt'),
  minPython: [3, 10],
};

/** Where the cache keeps a tool's venv: `<toolsDir>/<name>/<version>/venv`. */
export function pythonToolDir(tool: PythonTool, toolsDir: string): string {
  return path.join(toolsDir, tool.name, tool.version);
}

/** A python3 of at least `min`, on PATH (python3, then python3.N for newer N first). */
async function findPython(min: [number, number]): Promise<string | undefined> {
  const names = ['python3', ...Array.from({ length: 8 }, (_, i) => `python3.${17 - i}`)];
  for (const name of names) {
    const candidate = findOnPath(name);
    if (!candidate) continue;
    try {
      const out = await run(candidate, ['-c', 'import sys, venv; print(sys.version_info[0], sys.version_info[1])']);
      const [major = 0, minor = 0] = out.trim().split(' ').map(Number);
      if (major > min[0] || (major === min[0] && minor >= min[1])) return candidate;
    } catch {
      // no venv module, or not a working interpreter: try the next one
    }
  }
  return undefined;
}

/**
 * The tool's executable, installed on first use (`python3 -m venv`, then `pip install -r` its pinned requirements).
 * A stamp written last holds the requirements' hash: an interrupted install or changed pins are installed afresh,
 * and a finished one is reused as it is.
 */
export async function ensurePythonTool(tool: PythonTool, toolsDir: string): Promise<string> {
  const dir = pythonToolDir(tool, toolsDir);
  const venv = path.join(dir, 'venv');
  const binary = path.join(venv, 'bin', tool.name);
  const stamp = path.join(dir, '.installed');
  const want = createHash('sha256').update(fs.readFileSync(tool.requirements)).digest('hex');
  if (fs.existsSync(binary) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return binary;
  const python = await findPython(tool.minPython);
  if (!python)
    throw new StackProblem(
      `${tool.name} is not installed yet and there is no Python ${tool.minPython.join('.')}+ with venv to install it`,
      'install python3 (Debian: apt-get install python3 python3-venv) and put it on PATH',
    );
  say(tool.name, `installing ${tool.name} ${tool.version} from PyPI into ${venv} (once per machine)`);
  const started = Date.now();
  // A venv cannot be moved once made (its scripts name its path), so it is made in place; the stamp marks it done.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  await run(python, ['-m', 'venv', venv]);
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  await run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '-r', tool.requirements], { env });
  if (!fs.existsSync(binary))
    throw new StackProblem(`pip installed ${tool.name} but ${binary} is missing`, `check ${tool.requirements}`);
  const version = await run(binary, ['--version']);
  if (!version.includes(tool.version))
    throw new StackProblem(`${binary} reports ${version.trim()}, not ${tool.version}`, `check ${tool.requirements}`);
  fs.writeFileSync(stamp, want);
  const ms = Date.now() - started;
  recordFirstRunStep(`pip install ${tool.name}`, ms);
  say(tool.name, `installed in ${formatDuration(ms)} (later runs reuse ${venv})`);
  return binary;
}
