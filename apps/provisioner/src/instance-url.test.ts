import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readProvisionerConfig } from './config.ts';
import { instanceIssuer, instanceOrigin, instanceUrlTemplateProblem } from './instance-url.ts';
import { IMMICH_VERSION, stackProfile } from './stack-profiles.ts';

test('an instance origin and issuer come from the template', () => {
  assert.equal(instanceOrigin('https://{subdomain}.photos.example.com', 'smith'), 'https://smith.photos.example.com');
  assert.equal(
    instanceIssuer('http://{subdomain}.photos.localhost:8080', 'smith'),
    'http://smith.photos.localhost:8080/photoplane',
  );
});

test('a template that cannot give an origin is refused, naming why', () => {
  assert.equal(instanceUrlTemplateProblem('https://{subdomain}.photos.example.com'), null);
  assert.equal(instanceUrlTemplateProblem('http://{subdomain}.photos.localhost:8080'), null);
  for (const [template, why] of [
    ['https://photos.example.com', /exactly once/],
    ['https://{subdomain}.{subdomain}.example.com', /exactly once/],
    ['ftp://{subdomain}.example.com', /http/],
    ['https://a{subdomain}.example.com', /first label/],
    ['https://{subdomain}.example.com/photos', /origin only/],
    ['https://{subdomain}.example.com/', /origin only|must not end/],
  ] as const) {
    assert.match(instanceUrlTemplateProblem(template) ?? '', why, template);
  }
});

test('the worker reads PHOTOPLANE_INSTANCE_URL, PORTAL_UPSTREAM and PHOTOPLANE_EDGE_SOCKET, refusing bad values', () => {
  const base = {
    DATABASE_URL: 'postgresql://x',
    PHOTOPLANE_SECRET_KEY: 'k'.repeat(40),
    PHOTOPLANE_DOMAIN: 'p.example.com',
  };
  const config = readProvisionerConfig(base);
  assert.equal(config.instanceUrlTemplate, 'https://{subdomain}.p.example.com');
  assert.equal(config.portalUpstream, undefined);
  assert.equal(config.edgeSocket, undefined);
  const local = readProvisionerConfig({
    ...base,
    PHOTOPLANE_INSTANCE_URL: 'http://{subdomain}.p.example.com:8080',
    PORTAL_UPSTREAM: '127.0.0.1:3000',
    PHOTOPLANE_EDGE_SOCKET: '/run/x/edge.sock',
  });
  assert.deepEqual(
    [local.instanceUrlTemplate, local.portalUpstream, local.edgeSocket],
    ['http://{subdomain}.p.example.com:8080', '127.0.0.1:3000', '/run/x/edge.sock'],
  );
  assert.throws(
    () =>
      readProvisionerConfig({
        ...base,
        PHOTOPLANE_INSTANCE_URL: 'https://photos.example.com',
        PORTAL_UPSTREAM: 'http://127.0.0.1:3000',
        PHOTOPLANE_EDGE_SOCKET: 'edge.sock',
      }),
    (e: Error) =>
      /PHOTOPLANE_INSTANCE_URL/.test(e.message) &&
      /PORTAL_UPSTREAM/.test(e.message) &&
      /PHOTOPLANE_EDGE_SOCKET/.test(e.message),
  );
});

test("the Immich image is pinned to the version the adapter's SDK speaks, not a moving tag", () => {
  // The package exports no package.json; find it next to its entry point.
  const entry = fileURLToPath(import.meta.resolve('@immich/sdk'));
  const manifest = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`)), 'package.json');
  const sdk = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string; version: string };
  assert.equal(sdk.name, '@immich/sdk');
  assert.equal(IMMICH_VERSION, sdk.version);
  assert.equal(stackProfile('immich', {}).images.app, `ghcr.io/immich-app/immich-server:v${sdk.version}`);
});
