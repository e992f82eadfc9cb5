import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InsecureDockerEndpointError, InvalidDockerEndpointError, parseDockerEndpoint } from './endpoint.ts';

test('unix sockets are accepted; tcp:// only with a certificate folder (mutual TLS), on 2376 unless given', () => {
  assert.deepEqual(parseDockerEndpoint('unix:///var/run/docker.sock'), {
    kind: 'unix',
    socketPath: '/var/run/docker.sock',
  });
  assert.deepEqual(parseDockerEndpoint('tcp://docker-1.internal', '/etc/photoplane/docker'), {
    kind: 'tcp-mtls',
    host: 'docker-1.internal',
    port: 2376,
    certPath: '/etc/photoplane/docker',
  });
  assert.deepEqual(parseDockerEndpoint('tcp://[fd00::5]:3376', '/certs'), {
    kind: 'tcp-mtls',
    host: 'fd00::5',
    port: 3376,
    certPath: '/certs',
  });
});

test('plain tcp:// is refused, naming the risk and the fix; anything else odd is refused as invalid', () => {
  for (const certPath of [undefined, '', '  ']) {
    assert.throws(
      () => parseDockerEndpoint('tcp://10.0.0.5:2375', certPath),
      (e: unknown) =>
        e instanceof InsecureDockerEndpointError &&
        /whoever reaches the port is root/.test(e.message) &&
        /DOCKER_CERT_PATH/.test(e.message),
    );
  }
  for (const bad of [
    'unix://docker.sock',
    'http://10.0.0.5:2375',
    'ssh://host',
    'tcp://host:2376/path',
    'tcp://u@host',
  ])
    assert.throws(() => parseDockerEndpoint(bad, '/certs'), InvalidDockerEndpointError, bad);
});
