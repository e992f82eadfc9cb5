// The operator's side of the production edge config (SPEC V6): the CLI prints it, refuses what would expose or
// break the edge, Caddy 2.11 itself accepts the ACME variant (the one no test can run against a public CA), and
// the example checked in under infra/caddy/ is exactly what the CLI prints for its documented arguments.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../src/config.ts';
import { CADDY, ensureGoTool } from '../src/go-tools.ts';

const EXAMPLE_ARGS = ['--domain', 'photos.example.com', '--portal', '127.0.0.1:3000', '--email', 'ops@example.com'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-edge-config-'));

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'infra/src/edge-config-cli.ts'), ...args],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Rendered {
  admin: { listen: string };
  apps: {
    http: {
      servers: Record<
        string,
        {
          listen: string[];
          routes: {
            '@id': string;
            match?: { host?: string[]; path?: string[] }[];
            handle: unknown[];
          }[];
        }
      >;
    };
    tls: {
      automation: {
        on_demand: { permission: { module: string; endpoint: string } };
        policies: { subjects?: string[]; on_demand?: boolean; issuers: { module: string; email?: string }[] }[];
      };
    };
  };
}

test('the CLI prints an HTTPS edge whose on-demand certificates need the portal to say yes', () => {
  const r = cli(EXAMPLE_ARGS);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(r.stdout) as Rendered;
  assert.equal(config.admin.listen, '127.0.0.1:2019');
  assert.deepEqual(config.apps.tls.automation.on_demand.permission, {
    module: 'http',
    endpoint: 'http://127.0.0.1:3000/v1/edge/tls-ask',
  });
  const [portal, instances] = config.apps.tls.automation.policies;
  assert.deepEqual(portal?.subjects, ['photos.example.com', 'portal.photos.example.com']);
  assert.equal(portal?.on_demand, undefined);
  assert.equal(instances?.on_demand, true);
  assert.equal(instances?.subjects, undefined);
  for (const p of [portal, instances]) assert.deepEqual(p?.issuers, [{ module: 'acme', email: 'ops@example.com' }]);
  // The server the provisioner adds its routes to, on the standard HTTPS port, holding only the portal's route.
  const server = config.apps.http.servers.photoplane;
  assert.deepEqual(server?.listen, [':443']);
  assert.deepEqual(
    server?.routes.map((route) => [route['@id'], route.match?.[0]?.host]),
    [
      // First and not terminal: the per-address limit on public actions, ahead of whatever answers.
      ['pp-public-rate-limit', undefined],
      ['pp-portal', ['photos.example.com', 'portal.photos.example.com']],
      // No top-level host matcher: automatic HTTPS would try for a *.photos.example.com certificate.
      ['pp-instance-portal', undefined],
      // Last: any host no route answered (a suspended or gone instance) gets the "unavailable" page.
      ['pp-unavailable', undefined],
    ],
  );
  const fallback = server?.routes[3];
  assert.equal(fallback?.match, undefined);
  assert.deepEqual((fallback?.handle[0] as { handler: string; status_code: number }).status_code, 503);
  assert.match((fallback?.handle[0] as { body: string }).body, /This photo library is unavailable/);
  // Every instance host's /photoplane prefix is the portal's (member sign-in, the OpenID provider), before any
  // instance route the workers append.
  const prefix = server?.routes[2];
  assert.deepEqual(prefix?.match, [{ path: ['/photoplane', '/photoplane/*'] }]);
  assert.deepEqual(prefix?.handle, [
    {
      handler: 'subroute',
      routes: [
        {
          match: [{ host: ['*.photos.example.com'] }],
          handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:3000' }] }],
          terminal: true,
        },
      ],
    },
  ]);
});

test('public actions are limited per client address at the edge by default, with limits from the command line', () => {
  const routeOf = (args: string[]) => {
    const r = cli(args);
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as Rendered).apps.http.servers.photoplane?.routes[0] as unknown as {
      '@id': string;
      match: { host?: string[]; method: string[]; path: string[] }[];
      handle: Record<string, unknown>[];
      terminal?: boolean;
    };
  };
  const route = routeOf(EXAMPLE_ARGS);
  assert.equal(route['@id'], 'pp-public-rate-limit');
  assert.equal(route.terminal, undefined, 'not terminal: the request goes on to the portal when allowed');
  assert.deepEqual(route.handle, [
    { handler: 'photoplane_rate_limit', zone: 'public-actions', events: 60, window: '60s', burst: 20 },
  ]);
  // The members' pages at any host, the portal's public API at the portal's hosts; POST only.
  const [members, api] = route.match;
  assert.deepEqual(members, {
    method: ['POST'],
    path: ['/photoplane/interaction/*', '/photoplane/register', '/photoplane/forgot', '/photoplane/reset'],
  });
  assert.deepEqual(api?.host, ['photos.example.com', 'portal.photos.example.com']);
  assert.deepEqual(api?.method, ['POST']);
  for (const path of ['/v1/auth/signup', '/v1/auth/login', '/v1/auth/refresh', '/v1/auth/password-reset/request'])
    assert.ok(api?.path.includes(path), path);
  assert.ok(!api?.path.includes('/v1/stripe/webhook'), "Stripe's webhooks are not a client's public action");

  assert.deepEqual(routeOf([...EXAMPLE_ARGS, '--public-limit', '10/30s']).handle[0], {
    handler: 'photoplane_rate_limit',
    zone: 'public-actions',
    events: 10,
    window: '30s',
  });
  assert.deepEqual(routeOf([...EXAMPLE_ARGS, '--public-limit', '100/1h', '--public-burst', '5']).handle[0], {
    handler: 'photoplane_rate_limit',
    zone: 'public-actions',
    events: 100,
    window: '3600s',
    burst: 5,
  });
  assert.equal(routeOf([...EXAMPLE_ARGS, '--public-limit', 'off'])['@id'], 'pp-portal', 'off: no limit route');
  // A cap on all addresses together, after the per-address limit.
  assert.deepEqual(routeOf([...EXAMPLE_ARGS, '--public-total-limit', '20/1s', '--public-total-burst', '40']).handle, [
    { handler: 'photoplane_rate_limit', zone: 'public-actions', events: 60, window: '60s', burst: 20 },
    { handler: 'photoplane_rate_limit', zone: 'public-actions-total', key: 'all', events: 20, window: '1s', burst: 40 },
  ]);
});

test("the edge's Caddy accepts the limits (its own module), and refuses a key the module does not know", async () => {
  const caddy = await ensureGoTool(
    CADDY,
    process.env.PHOTOPLANE_TOOLS_DIR ?? path.join(os.homedir(), '.cache/photoplane/tools'),
  );
  const validate = (config: string) => {
    const file = path.join(tmp, `limits-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, config);
    return spawnSync(caddy, ['validate', '--config', file], {
      encoding: 'utf8',
      env: {
        ...process.env,
        HOME: tmp,
        XDG_DATA_HOME: path.join(tmp, 'data'),
        XDG_CONFIG_HOME: path.join(tmp, 'config'),
      },
    });
  };
  const r = cli([...EXAMPLE_ARGS, '--public-limit', '10/1m', '--public-total-limit', '20/1s']);
  assert.equal(r.status, 0, r.stderr);
  const ok = validate(r.stdout);
  assert.equal(ok.status, 0, ok.stderr);
  // The module checks what it is given: a key it does not know fails validation, naming it.
  const bad = validate(r.stdout.replace('"key": "all"', '"key": "host"'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /public-actions-total: key must be .*client_ip.* or .*all.*, got .*host/);
});

test('Caddy 2.11 accepts the production (ACME) config as rendered', async () => {
  const file = path.join(tmp, 'caddy.json');
  const r = cli(EXAMPLE_ARGS);
  fs.writeFileSync(file, r.stdout);
  const caddy = await ensureGoTool(
    CADDY,
    process.env.PHOTOPLANE_TOOLS_DIR ?? path.join(os.homedir(), '.cache/photoplane/tools'),
  );
  // `validate` loads and provisions every module (the permission module, the issuers, the policies) without
  // starting a listener or contacting a CA.
  const v = spawnSync(caddy, ['validate', '--config', file], {
    encoding: 'utf8',
    env: {
      ...process.env,
      HOME: tmp,
      XDG_DATA_HOME: path.join(tmp, 'data'),
      XDG_CONFIG_HOME: path.join(tmp, 'config'),
    },
  });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout + v.stderr, /Valid configuration/);
});

test('the example in infra/caddy/ is what the CLI prints for the documented arguments', () => {
  const example: unknown = JSON.parse(fs.readFileSync(path.join(repoRoot, 'infra/caddy/caddy.example.json'), 'utf8'));
  assert.deepEqual(example, JSON.parse(cli(EXAMPLE_ARGS).stdout));
});

test('the internal issuer is selectable and never installs its root into the machine', () => {
  const r = cli(['--domain', 'photos.localhost', '--portal', '127.0.0.1:3000', '--issuer', 'internal']);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(r.stdout) as Rendered & {
    apps: { pki: { certificate_authorities: { local: { install_trust: boolean } } } };
  };
  for (const p of config.apps.tls.automation.policies) assert.deepEqual(p.issuers, [{ module: 'internal' }]);
  assert.equal(config.apps.pki.certificate_authorities.local.install_trust, false);
});

test('the CLI refuses, naming the problem, what would expose or break the edge', () => {
  const base = ['--domain', 'photos.example.com', '--portal', '127.0.0.1:3000'];
  const cases: [string[], RegExp][] = [
    [[...base, '--email', 'ops@example.com', '--admin', '0.0.0.0:2019'], /adminListen: .*loopback/],
    [[...base, '--email', 'ops@example.com', '--admin', '192.0.2.7:2019'], /adminListen: .*loopback/],
    [base, /issuer\.email: is required/],
    [[...base, '--email', 'not-an-address'], /issuer\.email: .*not an e-mail/],
    [
      ['--domain', 'photos_example', '--portal', '127.0.0.1:3000', '--issuer', 'internal'],
      /domain: .*not a lowercase domain/,
    ],
    [
      ['--domain', 'photos.example.com', '--portal', 'http://127.0.0.1:3000', '--issuer', 'internal'],
      /portalUpstream: /,
    ],
    [[...base, '--issuer', 'selfsigned'], /issuer: must be acme or internal/],
    [[...base, '--issuer', 'internal', '--http-port', '8443', '--https-port', '8443'], /httpsPort: .*differ/],
    [[...base, '--issuer', 'internal', '--https-port', '70000'], /httpsPort: /],
    [[...base, '--issuer', 'internal', '--no-such-flag'], /no-such-flag/],
    [[...base, '--issuer', 'internal', '--public-limit', '60'], /publicRateLimit: .*<events>\/<window>/],
    [[...base, '--issuer', 'internal', '--public-limit', '0/1m'], /publicRateLimit: events must be/],
    [[...base, '--issuer', 'internal', '--public-burst', '5'], /publicRateLimit: --public-burst needs/],
    [[...base, '--issuer', 'internal', '--public-limit', '60/1m', '--public-burst', 'x'], /publicRateLimit: burst/],
    [[...base, '--issuer', 'internal', '--public-total-limit', '5'], /publicTotalLimit: .*<events>\/<window>/],
    [[...base, '--issuer', 'internal', '--public-total-burst', '5'], /publicTotalLimit: --public-total-burst needs/],
    [
      [...base, '--issuer', 'internal', '--public-limit', 'off', '--public-total-limit', '20/1s'],
      /publicTotalLimit: .*needs the per-address limit/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 64, args.join(' '));
    assert.equal(r.stdout, '', 'nothing half-printed');
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /usage: npm run edge-config/);
  }
});
