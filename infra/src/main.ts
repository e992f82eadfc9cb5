// Entry point of `npm start` and `npm test` (called by scripts/photoplane-stack.mjs once dependencies are installed).
//
//   start  bring the stack up, migrate, run the portal and the worker, print every URL; Ctrl-C stops it all.
//   test   static checks, then the stack in throw-away folders, then every test file; everything stops after.
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CADDY_SERVER_ID } from './caddy.ts';
import { ensureChromium } from './chromium.ts';
import { readStackConfig, repoRoot, type StackConfig } from './config.ts';
import { removeLabelled, TEST_RUN_LABEL } from './cleanup.ts';
import { ensureGoTool, findGo, PROMTOOL } from './go-tools.ts';
import { firstRunSummary, say } from './log.ts';
import { ensurePythonTool, SCHEMATHESIS } from './python-tools.ts';
import { describeFailure } from './problem.ts';
import { serviceEcho } from './service-logs.ts';
import { run, startProcess, waitFor } from './process.ts';
import { checkMachine, startStack, stopAll, type Stack } from './stack.ts';

type Stopper = Parameters<typeof stopAll>[0][number];

const stoppers: Stopper[] = [];
let stopping: Promise<void> | undefined;

function shutdown(code: number): void {
  stopping ??= stopAll(stoppers).finally(() => process.exit(code));
}
process.on('SIGINT', () => shutdown(130));
process.on('SIGTERM', () => shutdown(143));

const tsx = ['--import', 'tsx'];

/**
 * `portalUpstream`: where the portal listens (`npm start`); end-to-end tests start their own portals and give their
 * workers its address themselves.
 */
function serviceEnv(stack: Stack, databaseUrl: string, secretKey: string, portalUpstream?: string): NodeJS.ProcessEnv {
  return {
    // Offline, instances are made of the project's stand-in images; set PHOTOPLANE_STACK_PROFILE=immich (and
    // the PHOTO_*_IMAGE variables) to run Immich's own images where they can be pulled.
    PHOTOPLANE_STACK_PROFILE: 'standin',
    PHOTO_APP_IMAGE: stack.images.photoAppStandin,
    PHOTO_DB_IMAGE: stack.images.busybox,
    PHOTO_CACHE_IMAGE: stack.images.busybox,
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    DOCKER_HOST: stack.docker.host,
    CADDY_ADMIN_URL: stack.caddy.adminUrl,
    CADDY_SERVER_ID: CADDY_SERVER_ID,
    CADDY_HTTP_PORT: String(stack.caddy.httpPort),
    PHOTOPLANE_DOMAIN: stack.domain,
    // Instances answer through the stack's Caddy, on plain HTTP at its port (issue 10's member sign-in contract).
    PHOTOPLANE_INSTANCE_URL: `http://{subdomain}.${stack.domain}:${stack.caddy.httpPort}`,
    // No DNS for *.localhost inside containers: photo apps reach the edge (and through it the portal) on this socket.
    PHOTOPLANE_EDGE_SOCKET: stack.caddy.edgeSocket,
    ...(portalUpstream ? { PORTAL_UPSTREAM: portalUpstream } : {}),
    PHOTOPLANE_SECRET_KEY: secretKey,
    // Backups (SPEC F1): the worker runs this restic against a repository per instance under this folder.
    PHOTOPLANE_RESTIC: stack.backups.restic,
    PHOTOPLANE_BACKUP_REPOSITORY: stack.backups.repositoryRoot,
    // The owners' exports (SPEC F1): written by the worker, served by the portal from the same folder.
    PHOTOPLANE_EXPORT_DIR: path.join(path.dirname(stack.backups.repositoryRoot), 'exports'),
    // The portal derives each instance's OpenID client secret under this key; the worker derives the same from the
    // master key (apps/provisioner/src/secrets.ts).
    OIDC_CLIENT_SECRET_KEY: createHmac('sha256', secretKey)
      .update('photoplane/oidc-client-secret/v1')
      .digest('base64url'),
    SMTP_URL: stack.smtp.url,
    // stripe-node pointed at stripe-mock; webhook signatures are made and checked with this secret.
    STRIPE_SECRET_KEY: 'sk_test_photoplanelocal',
    STRIPE_API_URL: stack.stripe.url,
    STRIPE_WEBHOOK_SECRET: `whsec_${createHmac('sha256', secretKey).update('photoplane/stripe-webhook/v1').digest('hex')}`,
    // The portal signs access tokens with a key of its own, derived so `npm start` keeps sign-ins across restarts.
    JWT_SECRET: createHmac('sha256', secretKey).update('photoplane/jwt/v1').digest('base64url'),
    // Members' TOTP secrets are encrypted under a key of their own, derived the same way (and kept across restarts).
    TOTP_ENCRYPTION_KEY: createHmac('sha256', secretKey).update('photoplane/member-totp/v1').digest('base64url'),
    // The OpenID provider's own keys (its cookies, the encryption of its signing keys).
    OIDC_SECRET_KEY: createHmac('sha256', secretKey).update('photoplane/oidc/v1').digest('base64url'),
  };
}

/** The master key for `npm start`, made once and kept in the data folder (tests make a throw-away one). */
const LOCAL_SUPERADMIN = 'admin@photoplane.localhost';

/**
 * The local stack's first superadmin (SPEC A6), made by the bootstrap command at the first start only: it refuses once
 * a superadmin exists, so later starts change no account. The password and TOTP secret it prints once are kept for
 * this local stack in the data folder (0600), the way its database password is.
 */
async function bootstrapLocalSuperadmin(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<{ email: string; lines: string[] }> {
  const file = path.join(dataDir, 'local-superadmin.json');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...tsx,
      'apps/portal/src/support/bootstrap-superadmin.ts',
      '--if-none',
      '--email',
      LOCAL_SUPERADMIN,
      '--name',
      'Local superadmin',
    ],
    { cwd: repoRoot, env },
  );
  const made = JSON.parse(stdout.trim().split('\n').pop()!) as
    { created: false } | { created: true; email: string; password: string; totpSecret: string; otpauthUri: string };
  if (made.created) {
    fs.writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
    return {
      email: made.email,
      lines: [
        `  superadmin       ${made.email}  password ${made.password}`,
        `                   TOTP secret ${made.totpSecret} (made now by the bootstrap; kept in ${file}, 0600)`,
      ],
    };
  }
  const kept = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { email: string }) : null;
  return {
    email: kept?.email ?? LOCAL_SUPERADMIN,
    lines: [
      kept
        ? `  superadmin       ${kept.email} (made at the first start; password and TOTP secret in ${file})`
        : '  superadmin       exists already (made before); a superadmin adds staff with photoplane staff add',
    ],
  };
}

function localSecretKey(dataDir: string): string {
  const file = path.join(dataDir, 'secret-key');
  if (process.env.PHOTOPLANE_SECRET_KEY) return process.env.PHOTOPLANE_SECRET_KEY;
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

async function start(): Promise<void> {
  const config = readStackConfig();
  const stack = await startStack(config, 'start', stoppers);
  const databaseUrl = stack.postgres.urlFor(stack.databaseName);
  const env = serviceEnv(stack, databaseUrl, localSecretKey(config.dataDir), `127.0.0.1:${config.portalPort}`);

  // Their JSON logs go to the log folder as they are, and to the terminal readable (see service-logs.ts).
  const worker = startProcess('worker', process.execPath, [...tsx, 'apps/provisioner/src/worker.ts'], {
    cwd: repoRoot,
    // The owners' export links (SPEC F1) the worker mails point at the portal.
    env: { PORTAL_PUBLIC_URL: `http://127.0.0.1:${config.portalPort}`, ...env },
    logFile: path.join(stack.logDir, 'worker.log'),
    echo: serviceEcho('worker'),
  });
  stoppers.push({ name: 'worker', stop: () => worker.stop() });
  const portal = startProcess('portal', process.execPath, [...tsx, 'apps/portal/src/server.ts'], {
    cwd: repoRoot,
    env: { ...env, PORT: String(config.portalPort), HOST: '127.0.0.1' },
    logFile: path.join(stack.logDir, 'portal.log'),
    echo: serviceEcho('portal'),
  });
  stoppers.push({ name: 'portal', stop: () => portal.stop() });
  const portalUrl = `http://127.0.0.1:${config.portalPort}`;
  await waitFor(`the portal at ${portalUrl}`, async () => (await fetch(`${portalUrl}/readyz`)).ok, {
    timeoutMs: 60_000,
    exited: portal.exited,
  });

  const staff = await bootstrapLocalSuperadmin(env, config.dataDir);
  const firstRun = firstRunSummary();
  const lines = [
    '',
    'Photoplane is running. Ctrl-C stops everything.',
    `  portal (web)     ${portalUrl}`,
    `  API docs         ${portalUrl}/docs`,
    `  health           ${portalUrl}/healthz  ${portalUrl}/readyz`,
    `  Temporal         ${stack.temporal.address} (namespace ${stack.temporal.namespace})`,
    ...(stack.temporal.uiUrl ? [`  Temporal UI      ${stack.temporal.uiUrl}`] : []),
    `  PostgreSQL       ${databaseUrl}`,
    ...(stack.postgres.dataDir ? [`  PostgreSQL data  ${stack.postgres.dataDir}`] : []),
    `  Docker Engine    ${stack.docker.host}`,
    `  Stripe (mock)    ${stack.stripe.url}`,
    `  mail (SMTP)      ${stack.smtp.url}, messages in ${stack.smtp.mailDir}`,
    `  edge (Caddy)     ${stack.caddy.httpUrl} (instances at <subdomain>.${stack.domain}; admin ${stack.caddy.adminUrl})`,
    `  logs             ${stack.logDir} (portal.log and worker.log hold the JSON)`,
    ...staff.lines,
    `  support CLI      npm run photoplane -- login --url ${portalUrl} --email ${staff.email}`,
    `                   then e.g. npm run photoplane -- tenants ls (the code: any authenticator app with the`,
    `                   TOTP secret, or oathtool --totp -b SECRET)`,
    ...(firstRun ? [`  first run        ${firstRun}`] : []),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  // Either child dying is fatal: the stack is not what was printed any more.
  const died = await Promise.race([worker.exited.then(() => 'worker'), portal.exited.then(() => 'portal')]);
  if (stopping) return; // we stopped it ourselves (Ctrl-C)
  say('stack', `the ${died} exited; stopping everything`);
  shutdown(1);
}

const TEST_ROOTS = ['packages', 'apps', 'prisma', 'infra', 'tests'];

function findTestFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'generated' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts')) found.push(path.relative(repoRoot, full));
    }
  };
  for (const root of TEST_ROOTS) if (fs.existsSync(path.join(repoRoot, root))) walk(path.join(repoRoot, root));
  return found.sort();
}

/**
 * The stack in throw-away folders, and the environment test files and benchmarks get: where each component is,
 * the run id their Docker resources are labelled with, the test images. What a run leaves labelled is removed.
 */
async function startTestStack(config: StackConfig): Promise<NodeJS.ProcessEnv> {
  const stack = await startStack(config, 'test', stoppers);
  const runId = randomBytes(4).toString('hex');
  for (const engine of [stack.docker, stack.secondDocker]) {
    if (!engine) continue;
    stoppers.push({
      name: 'test docker resources',
      stop: async () => {
        const left = await removeLabelled(engine.client(), TEST_RUN_LABEL, runId);
        if (left) say('docker', `removed ${left} resources the run left behind on ${engine.host} (run ${runId})`);
      },
    });
  }
  say('tests', `run id ${runId}`);
  // The web portal's browser tests drive Debian's chromium through playwright-core (no browser download).
  const chromium = await ensureChromium(process.env.PHOTOPLANE_TEST_CHROMIUM);
  // The monitoring rules and dashboard are checked by Prometheus's promtool, built once like the other Go tools.
  const promtool = await ensureGoTool(PROMTOOL, config.toolsDir);
  // The portal's API contract is checked by schemathesis (issue 16), installed once from PyPI into a venv.
  const schemathesis = await ensurePythonTool(SCHEMATHESIS, config.toolsDir);
  const firstRun = firstRunSummary();
  if (firstRun) say('stack', `first-run steps: ${firstRun}`);
  // No DATABASE_URL: each test file makes databases of its own from the template (see @photoplane/db/testing).
  const { DATABASE_URL: _unused, ...services } = serviceEnv(stack, '', randomBytes(32).toString('base64url'));
  return {
    ...services,
    PHOTOPLANE_TEST_SERVER_URL: stack.postgres.adminUrl,
    PHOTOPLANE_TEST_TEMPLATE_DB: stack.databaseName,
    PHOTOPLANE_TEST_RUN_ID: runId,
    PHOTOPLANE_TEST_MAIL_DIR: stack.smtp.mailDir,
    PHOTOPLANE_TEST_IMAGE_BUSYBOX: stack.images.busybox,
    PHOTOPLANE_TEST_IMAGE_PHOTO_APP: stack.images.photoAppStandin,
    PHOTOPLANE_TEST_CHROMIUM: chromium,
    PHOTOPLANE_TEST_PROMTOOL: promtool,
    PHOTOPLANE_TEST_SCHEMATHESIS: schemathesis,
    ...(stack.secondDocker ? { PHOTOPLANE_TEST_DOCKER_HOST_2: stack.secondDocker.host } : {}),
  };
}

/** `npm run bench -- bench/x.bench.ts`: a benchmark script against the same throw-away stack the tests use. */
async function bench(): Promise<void> {
  const scripts = process.argv.slice(3);
  if (!scripts.length) throw new Error('usage: npm run bench -- bench/<name>.bench.ts [more …]');
  const env = await startTestStack(readStackConfig());
  let failed = 0;
  for (const script of scripts) {
    say('bench', script);
    const proc = startProcess('bench', process.execPath, [...tsx, script], { cwd: repoRoot, env });
    stoppers.push({ name: 'bench', stop: () => proc.stop() });
    if ((await proc.exited) !== 0) failed++;
  }
  shutdown(failed ? 1 : 0);
}

async function test(): Promise<void> {
  const config = readStackConfig();
  // Before the static checks and `go test`: a machine that cannot run the stack is told so at once.
  await checkMachine(config, 'test');
  // `npm test -- path/a.test.ts path/b.test.ts` runs just those files (the stack still starts in full).
  const only = process.argv.slice(3);
  const files = only.length ? only : findTestFiles();
  if (process.env.PHOTOPLANE_SKIP_STATIC_CHECKS !== '1') {
    say('checks', 'typecheck and lint (turbo)');
    await run(
      path.join(repoRoot, 'node_modules', '.bin', 'turbo'),
      ['run', 'typecheck', 'lint', '--output-logs=errors-only'],
      {
        cwd: repoRoot,
        inherit: true,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
      },
    );
    say('checks', 'formatting (prettier --check)');
    await run(path.join(repoRoot, 'node_modules', '.bin', 'prettier'), ['--check', '--log-level=warn', '.'], {
      cwd: repoRoot,
      inherit: true,
    });
  }
  if (!only.length) {
    for (const [what, dir] of [
      ['the photo-app stand-in', 'tests/photo-app-standin'],
      ["the edge's Caddy modules", 'infra/caddy'],
    ] as const) {
      say('tests', `go test: ${what} (${dir})`);
      await run(findGo() ?? 'go', ['test', '-count=1', './...'], { cwd: path.join(repoRoot, dir), inherit: true });
    }
  }
  const env = await startTestStack(config);
  say('tests', `${files.length} test files`);
  const testRun = startProcess('tests', process.execPath, [...tsx, '--test', '--test-reporter=spec', ...files], {
    cwd: repoRoot,
    env,
    stopTimeoutMs: 30_000,
  });
  stoppers.push({ name: 'tests', stop: () => testRun.stop() });
  const code = await testRun.exited;
  say('tests', code === 0 ? 'all test files passed' : `test run failed (exit ${code})`);
  shutdown(code ?? 1);
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { start, test, bench };
const fn = command ? commands[command] : undefined;
if (!fn) {
  say('stack', `usage: main.ts start|test (got ${command ?? 'nothing'})`);
  process.exit(2);
}
fn().catch((e: unknown) => {
  say('stack', describeFailure(e));
  shutdown(1);
});
