// Docker over TCP only with mutual TLS. The refusal is checked where an operator meets it (the worker refusing to
// start, naming the risk and the fix); the accepted path against the run's real Docker Engine, reached through a TLS
// terminator in this process that demands a client certificate from our CA (what `dockerd --tlsverify` does).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { test, type TestContext } from 'node:test';
import { ConfigError, readProvisionerConfig } from '../src/config.ts';
import { dockerClient, InsecureDockerEndpointError } from '../src/docker/index.ts';
import { docker, stack } from './docker-fixtures.ts';

const baseEnv = {
  DATABASE_URL: 'postgresql://127.0.0.1:1/x',
  PHOTOPLANE_SECRET_KEY: 'k'.repeat(40),
};

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, and a certificate it signs for `name` (server: 127.0.0.1; client: any), in `dir`. */
function makeCa(dir: string, ca: string): void {
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      `${ca}-key.pem`,
      '-out',
      `${ca}.pem`,
      '-days',
      '1',
      '-subj',
      `/CN=${ca}`,
    ]),
  );
}

function issue(dir: string, ca: string, name: string, kind: 'server' | 'client'): void {
  const ext =
    kind === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n';
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(
    dir,
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]),
  );
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`].concat([
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]),
  );
}

/** A DOCKER_CERT_PATH folder: ca.pem, cert.pem, key.pem. */
function certFolder(dir: string, folder: string, files: { ca: string; cert?: string }): string {
  const out = path.join(dir, folder);
  fs.mkdirSync(out);
  fs.copyFileSync(path.join(dir, `${files.ca}.pem`), path.join(out, 'ca.pem'));
  if (files.cert) {
    fs.copyFileSync(path.join(dir, `${files.cert}.pem`), path.join(out, 'cert.pem'));
    fs.copyFileSync(path.join(dir, `${files.cert}-key.pem`), path.join(out, 'key.pem'));
  }
  return out;
}

/** TLS on 127.0.0.1 that requires a client certificate from `ca`, piping each connection to the engine's socket. */
async function startMtlsEngine(t: TestContext, dir: string): Promise<number> {
  const socketPath = stack.dockerHost.replace(/^unix:\/\//, '');
  const server = tls.createServer(
    {
      key: fs.readFileSync(path.join(dir, 'engine-key.pem')),
      cert: fs.readFileSync(path.join(dir, 'engine.pem')),
      ca: fs.readFileSync(path.join(dir, 'ours.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (client) => {
      const upstream = net.connect(socketPath);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
    },
  );
  server.on('tlsClientError', () => undefined); // refused handshakes are the point of one test
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

test('a plain tcp:// Docker host is refused: the worker does not start, and says why and what to do', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/provisioner/src/worker.ts'], {
    env: { ...process.env, ...baseEnv, DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_CERT_PATH: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 78, `exit code (stderr: ${stderr})`);
  assert.match(stderr, /DOCKER_HOST: refusing the Docker endpoint "tcp:\/\/127\.0\.0\.1:2375"/);
  assert.match(stderr, /unauthenticated HTTP, so whoever reaches the port is root/);
  assert.match(stderr, /DOCKER_CERT_PATH to a folder holding ca\.pem, cert\.pem and key\.pem/);

  assert.throws(() => dockerClient('tcp://10.0.0.5:2375'), InsecureDockerEndpointError);
  assert.throws(() => dockerClient('http://10.0.0.5:2375'), /use unix:\/\/ or tcp:\/\//);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-certs-'));
  try {
    assert.throws(
      () => readProvisionerConfig({ ...baseEnv, DOCKER_HOST: 'tcp://10.0.0.5:2376', DOCKER_CERT_PATH: empty }),
      (e: unknown) => e instanceof ConfigError && /lacks ca\.pem, cert\.pem, key\.pem/.test(e.message),
    );
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('over tcp:// with mutual TLS the worker reaches the engine; no client certificate, or an engine our CA did not sign, is refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-mtls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  makeCa(dir, 'ours');
  makeCa(dir, 'other');
  issue(dir, 'ours', 'engine', 'server');
  issue(dir, 'ours', 'worker', 'client');
  issue(dir, 'other', 'stranger', 'client');
  const port = await startMtlsEngine(t, dir);
  const endpoint = `tcp://127.0.0.1:${port}`;

  const good = certFolder(dir, 'good', { ca: 'ours', cert: 'worker' });
  const config = readProvisionerConfig({ ...baseEnv, DOCKER_HOST: endpoint, DOCKER_CERT_PATH: good });
  const client = dockerClient(config.dockerHost, { certPath: config.dockerCertPath });
  const [overTls, local] = await Promise.all([client.version(), docker.version()]);
  assert.equal(overTls.Version, local.Version, 'the same engine, over mutual TLS');

  // A client certificate from another CA: the engine side refuses the handshake.
  const stranger = certFolder(dir, 'stranger', { ca: 'ours', cert: 'stranger' });
  await assert.rejects(dockerClient(endpoint, { certPath: stranger }).version());
  // No client certificate at all (an https client that only trusts the CA).
  const Docker = (await import('dockerode')).default;
  const anonymous = new Docker({
    host: '127.0.0.1',
    port,
    protocol: 'https',
    ca: fs.readFileSync(path.join(dir, 'ours.pem')),
  });
  await assert.rejects(anonymous.version());
  // Our certificate, but the engine's certificate is not from the CA we trust: the worker refuses the engine.
  const wrongCa = certFolder(dir, 'wrong-ca', { ca: 'other', cert: 'worker' });
  await assert.rejects(
    dockerClient(endpoint, { certPath: wrongCa }).version(),
    /self-signed|unable to verify|certificate/i,
  );
});
