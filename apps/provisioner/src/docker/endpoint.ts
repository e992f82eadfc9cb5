// Where a Docker Engine is and how we may talk to it. A Docker API socket is root on its host, so only two kinds of
// endpoint are accepted: a unix socket (the engine on this machine), and TCP with mutual TLS (the engine checks our
// client certificate, we check its certificate against our CA). A plain tcp:// endpoint is unauthenticated HTTP
// (whoever reaches the port is root) and is refused with an error that says so.

/** Docker's own layout for DOCKER_CERT_PATH: ca.pem (the CA both sides trust), cert.pem + key.pem (our client). */
export const DOCKER_TLS_FILES = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } as const;

export type DockerEndpoint =
  { kind: 'unix'; socketPath: string } | { kind: 'tcp-mtls'; host: string; port: number; certPath: string };

export class InsecureDockerEndpointError extends Error {
  override name = 'InsecureDockerEndpointError';
  constructor(readonly endpoint: string) {
    super(
      `refusing the Docker endpoint "${endpoint}": plain tcp:// is unauthenticated HTTP, so whoever reaches the ` +
        'port is root on that host. Use unix:///path/to/docker.sock, or tcp:// with mutual TLS: set ' +
        'DOCKER_CERT_PATH to a folder holding ca.pem, cert.pem and key.pem, and run dockerd with --tlsverify',
    );
  }
}

export class InvalidDockerEndpointError extends Error {
  override name = 'InvalidDockerEndpointError';
  constructor(
    readonly endpoint: string,
    reason: string,
  ) {
    super(`invalid Docker endpoint "${endpoint}": ${reason}`);
  }
}

/**
 * Parses a DOCKER_HOST-style endpoint. `certPath` (DOCKER_CERT_PATH) is what makes a tcp:// endpoint acceptable;
 * without it tcp:// is refused. No I/O: whether the files exist is checked where they are read.
 */
export function parseDockerEndpoint(endpoint: string, certPath?: string): DockerEndpoint {
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new InvalidDockerEndpointError(endpoint, 'the socket path must be absolute');
    return { kind: 'unix', socketPath };
  }
  if (endpoint.startsWith('tcp://')) {
    if (!certPath?.trim()) throw new InsecureDockerEndpointError(endpoint);
    let url: URL;
    try {
      url = new URL(endpoint.replace(/^tcp:/, 'https:'));
    } catch {
      throw new InvalidDockerEndpointError(endpoint, 'expected tcp://host:port');
    }
    if (!url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.username)
      throw new InvalidDockerEndpointError(endpoint, 'expected tcp://host:port and nothing else');
    // 2376 is Docker's TLS port (2375 its plain one).
    const port = url.port ? Number(url.port) : 2376;
    return { kind: 'tcp-mtls', host: url.hostname.replace(/^\[|\]$/g, ''), port, certPath: certPath.trim() };
  }
  throw new InvalidDockerEndpointError(endpoint, 'use unix:// or tcp:// (with mutual TLS)');
}
