// The API's contract, checked from outside by a property-based OpenAPI tester (issue 16): schemathesis reads the
// portal's own document (/docs/json) and sends generated requests, valid and invalid, to every operation with valid
// credentials (an owner with a subscription and an instance, one of its members, support staff and a superadmin
// with TOTP), and fails on any server error, any status, content type or body the document does not declare, and
// on input the document calls invalid that is accepted instead of refused.
// The portal runs on the real PostgreSQL and listens on a port; the support API starts its workflows on the real
// Temporal dev server (the recording stubs of support/staff-test-workflows.ts, as in support-api.test.ts); mail goes
// to an SMTP server in this process; Stripe is the stack's stripe-mock.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createPrismaClient } from '@photoplane/db';
import { createTestDatabase } from '@photoplane/db/testing';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import type { Portal } from '../src/portal.ts';
import { call, instanceOwnedBy, signedInAccount, unique, type Harness } from './members-harness.ts';
import { startSmtpInbox, type SmtpInbox } from './support/smtp-inbox.ts';
import { startStaffTestWorker, type StaffTestWorker } from './support/staff-test-worker.ts';
import { startTestPortal, testPortalConfig } from './support/test-portal.ts';

const schemathesis = process.env.PHOTOPLANE_TEST_SCHEMATHESIS;
/**
 * Generated cases per operation (valid and invalid), and the phases: enough to find a contract break, few enough for
 * about three minutes on two cores. Schemathesis's `coverage` phase (every boundary and type of every field) takes
 * about four minutes more here; PHOTOPLANE_CONTRACT_PHASES=examples,coverage,fuzzing runs it.
 */
const MAX_EXAMPLES = Number(process.env.PHOTOPLANE_CONTRACT_EXAMPLES ?? 10);
const PHASES = process.env.PHOTOPLANE_CONTRACT_PHASES ?? 'examples,fuzzing';
/** The checks that say the API keeps its document: no 5xx, and every status, content type and body as declared. */
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance'];
/** And that input the document calls invalid (a false where text is declared, say) is refused, not coerced. */
const REJECTION_CHECK = 'negative_data_rejection';
const SCHEMA_CHECK = 'response_schema_conformance';

let h: Harness;
let portal: Portal;
let worker: StaffTestWorker;
let connection: Connection;
let smtp: SmtpInbox;
let baseUrl: string;
let workDir: string;

before(async () => {
  assert.ok(schemathesis, 'PHOTOPLANE_TEST_SCHEMATHESIS is not set: run the tests through `npm test`');
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-contract-'));
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url);
  worker = await startStaffTestWorker({ prisma: () => prisma });
  connection = await Connection.connect({ address: worker.temporalAddress });
  const client = new Client({ connection, namespace: worker.namespace });
  smtp = await startSmtpInbox();
  const config = testPortalConfig(db.url, {
    TOTP_ENCRYPTION_KEY: 'test-totp-key-that-is-at-least-32-characters',
    TEMPORAL_ADDRESS: worker.temporalAddress,
    TEMPORAL_NAMESPACE: worker.namespace,
    // Every other workflow the portal starts (member sync, exports, subscription signals) goes to the same worker.
    TEMPORAL_TASK_QUEUE: worker.taskQueue,
    PHOTOPLANE_DOMAIN: 'photos.test',
    PHOTOPLANE_INSTANCE_URL: 'https://{subdomain}.photos.test',
    PHOTOPLANE_EXPORT_DIR: path.join(workDir, 'exports'),
    ...(process.env.STRIPE_API_URL ? { STRIPE_API_URL: process.env.STRIPE_API_URL } : {}),
  });
  portal = await startTestPortal({
    prisma,
    config,
    logger: pino({ level: 'silent' }),
    overrides: {
      temporal: client,
      instanceOperations: worker.operations(client),
      fleet: worker.fleet(client),
      backupWorkflows: { client, taskQueue: worker.taskQueue },
      mailTransport: smtp.transport(),
    },
  });
  await portal.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(portal.app.server.address() as AddressInfo).port}`;
  h = {
    db,
    prisma,
    app: portal.app,
    inbox: smtp.inbox,
    smtpPort: smtp.port,
    logLines: [],
    secrets: new Set(),
    async close() {
      await portal.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
});

after(async () => {
  await h?.close();
  await smtp?.close();
  await connection?.close();
  await worker?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** A member of `subdomain` who has set their own password, signed in at the instance; returns the access token. */
async function signedInMember(owner: string, subdomain: string): Promise<string> {
  const email = `${unique('member')}@example.com`;
  const added = await call(h, 'POST', `/v1/instances/${subdomain}/members`, owner, {
    name: 'Contract Member',
    email,
    mode: 'password',
    quotaGiB: 1,
  });
  assert.equal(added.statusCode, 201, added.body);
  const first = added.json<{ password: string }>().password;
  const login = async (password: string) => {
    const res = await call(h, 'POST', `/v1/instances/${subdomain}/auth/login`, undefined, { email, password });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ accessToken: string }>().accessToken;
  };
  const password = `contract member password ${email}`;
  const changed = await call(h, 'POST', `/v1/instances/${subdomain}/auth/change-password`, await login(first), {
    currentPassword: first,
    newPassword: password,
  });
  assert.ok(changed.statusCode < 300, changed.body);
  return login(password);
}

/**
 * One `[[operations]]` table: the operations whose name ("METHOD /path") matches `nameRegex` are sent with these
 * headers and fixed path parameters. The patterns of one run never overlap, so each operation has one identity.
 */
function operations(
  nameRegex: string,
  headers: Record<string, string>,
  parameters: Record<string, string> = {},
): string {
  const inline = (o: Record<string, string>) =>
    `{ ${Object.entries(o)
      .map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`)
      .join(', ')} }`;
  const lines = ['[[operations]]', `include-name-regex = ${JSON.stringify(nameRegex)}`];
  if (Object.keys(headers).length) lines.push(`headers = ${inline(headers)}`);
  if (Object.keys(parameters).length) lines.push(`parameters = ${inline(parameters)}`);
  return lines.join('\n');
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The web portal's cookie session of a portal account (apps/web), as a Cookie header with the CSRF header. */
async function webSession(email: string, password: string): Promise<Record<string, string>> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/web/session',
    headers: { 'x-photoplane-csrf': '1' },
    payload: { email, password },
  });
  assert.equal(res.statusCode, 200, res.body);
  const cookies = [res.cookies].flat().map((c) => `${c.name}=${c.value}`);
  return { Cookie: cookies.join('; '), 'x-photoplane-csrf': '1' };
}

interface RunResult {
  code: number;
  output: string;
  tested: Set<string>;
}

/** Runs schemathesis over the document with `config`; `extra` are more CLI arguments. */
async function runSchemathesis(config: string, extra: string[] = []): Promise<RunResult> {
  const configFile = path.join(workDir, `schemathesis-${unique('run')}.toml`);
  const reportFile = path.join(workDir, `report-${unique('run')}.ndjson`);
  fs.writeFileSync(configFile, config, { mode: 0o600 });
  const args = [
    '--no-color',
    '--config-file',
    configFile,
    'run',
    `${baseUrl}/docs/json`,
    '--url',
    baseUrl,
    '--checks',
    [...CHECKS, SCHEMA_CHECK, REJECTION_CHECK].join(','),
    '--phases',
    PHASES,
    '--workers',
    '2',
    '--request-timeout',
    '20',
    '--report',
    'ndjson',
    '--report-ndjson-path',
    reportFile,
    ...extra,
  ];
  let code = 0;
  let output: string;
  try {
    const done = await promisify(execFile)(schemathesis!, args, {
      cwd: workDir,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, SCHEMATHESIS_HOOKS: '' },
    });
    output = done.stdout + done.stderr;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    code = typeof err.code === 'number' ? err.code : 1;
    output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  const tested = new Set<string>();
  // PHOTOPLANE_CONTRACT_REPORT: keep schemathesis's event log (NDJSON) there, to see what it sent and when.
  if (process.env.PHOTOPLANE_CONTRACT_REPORT && fs.existsSync(reportFile))
    fs.copyFileSync(reportFile, process.env.PHOTOPLANE_CONTRACT_REPORT);
  if (fs.existsSync(reportFile)) {
    for (const line of fs.readFileSync(reportFile, 'utf8').split('\n')) {
      // Each finished scenario names its operation ("GET /v1/plans"); collected to show every one was reached.
      for (const m of line.matchAll(/"label"\s*:\s*"([A-Z]+ \/[^"]*)"/g)) tested.add(m[1]!);
    }
  }
  return { code, output, tested };
}

test('schemathesis finds nothing over every operation of the document, each with valid credentials', async () => {
  const { owner, subdomain } = await instanceOwnedBy(h, { planGib: 10 });
  // Support's tenant operations that change the instance's state (delete, suspend, resume, reprovision, restore) act
  // on a tenant of their own, so that the rest of the run keeps an active instance to act on.
  const victim = await instanceOwnedBy(h, { planGib: 10 });
  const member = await signedInMember(owner.token, subdomain);
  // Signing out revokes the credential it is sent with: each sign-out route gets a sign-in of its own.
  const ownerToLogOut = (await signedInAccount(h)).token;
  const memberToLogOut = await signedInMember(owner.token, subdomain);
  const web = await webSession(owner.account.email, owner.password);
  const webToLogOut = await webSession(owner.account.email, owner.password);
  const support = await signedInAccount(h, 'support');
  const superadmin = await signedInAccount(h, 'superadmin');
  const sub = '\\{subdomain\\}';
  /** Support's routes that need a superadmin (SPEC A6: what cannot be undone or acts as someone else). */
  const superadminOnly = [
    `DELETE /v1/support/tenants/${sub}`,
    '[A-Z]+ /v1/support/staff(/.*)?',
    'DELETE /v1/support/logins',
    'POST /v1/support/auth',
    'POST /v1/support/fleet/upgrades(/\\{id\\}/(pause|resume|cancel))?',
  ];
  const onVictim = `POST /v1/support/tenants/${sub}/(suspend|resume|reprovision|restore)`;
  const config = [
    `generation.max-examples = ${MAX_EXAMPLES}`,
    // The same cases every run: a finding in CI is found again by running the file again.
    'generation.deterministic = true',
    // A refusal is any 4xx the contract documents; 414 (a path parameter longer than the router takes) and 431 too.
    'checks.negative_data_rejection.expected-statuses = [400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 429, 431]',
    // Every credential is given below; schemathesis must not sign up accounts of its own to find one.
    'auth.auto-signup = false',
    // Ids are not taken from earlier answers: fed the session ids support lists, the revoking routes would sign
    // this run's own credentials out, and every later case would only see 401.
    'phases.examples.extra-data-sources.responses = false',
    'phases.fuzzing.extra-data-sources.responses = false',
    '',
    operations('^POST /v1/auth/logout$', bearer(ownerToLogOut)),
    operations(`^POST /v1/instances/${sub}/auth/logout$`, bearer(memberToLogOut), { subdomain }),
    // The member's own account and password at the instance.
    operations(`^[A-Z]+ /v1/instances/${sub}/(me(/.*)?|auth/change-password)$`, bearer(member), { subdomain }),
    // The owner's portal account, billing, members, settings and exports, and the test-mode checkout.
    operations(
      `^[A-Z]+ /v1/(me|subscription|checkout|billing-portal|test-checkout/.*|instances/${sub}/(members|settings|blocked-links|stats|exports)(/.*)?)$`,
      bearer(owner.token),
      { subdomain },
    ),
    // The web portal's cookie session; signing out has a session of its own.
    operations('^(GET|POST) /v1/web/session(/refresh)?$', web),
    operations('^DELETE /v1/web/session$', webToLogOut),
    operations(`^(${superadminOnly.join('|')})$`, bearer(superadmin.token), { subdomain: victim.subdomain }),
    operations(`^${onVictim}$`, bearer(support.token), { subdomain: victim.subdomain }),
    operations(`^(?!(${[...superadminOnly, onVictim].join('|')})$)[A-Z]+ /v1/support/.*$`, bearer(support.token), {
      subdomain,
    }),
    // Unauthenticated routes that take an instance: the real one, so that they reach past the lookup.
    operations(`^POST /v1/instances/${sub}/(register|auth/(login|refresh))$`, {}, { subdomain }),
  ].join('\n');
  const run = await runSchemathesis(config);
  assert.equal(run.code, 0, `schemathesis reported findings:\n${run.output.slice(-30_000)}`);
  const doc = (await portal.app.inject({ method: 'GET', url: '/docs/json' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  const all = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  const missed = all.filter((op) => !run.tested.has(op));
  assert.deepEqual(missed, [], `operations schemathesis did not test:\n${run.output.slice(-5000)}`);
});
