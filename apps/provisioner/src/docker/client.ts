// A dockerode client from a DOCKER_HOST-style endpoint (see endpoint.ts for what is accepted). No Temporal imports
// in docker/.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { DOCKER_TLS_FILES, parseDockerEndpoint } from './endpoint.ts';

export interface DockerClientOptions {
  /** DOCKER_CERT_PATH: required for tcp:// (mutual TLS), ignored for unix://. */
  certPath?: string | undefined;
}

export function dockerClient(endpoint: string, opts: DockerClientOptions = {}): Docker {
  const parsed = parseDockerEndpoint(endpoint, opts.certPath);
  if (parsed.kind === 'unix') return new Docker({ socketPath: parsed.socketPath });
  const read = (file: string) => fs.readFileSync(path.join(parsed.certPath, file));
  return new Docker({
    host: parsed.host,
    port: parsed.port,
    protocol: 'https',
    // The engine's certificate must chain to this CA (no system CAs), and we present our client certificate.
    ca: read(DOCKER_TLS_FILES.ca),
    cert: read(DOCKER_TLS_FILES.cert),
    key: read(DOCKER_TLS_FILES.key),
  });
}
