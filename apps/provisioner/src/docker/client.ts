// A dockerode client from a DOCKER_HOST-style endpoint. No Temporal imports in docker/.
import Docker from 'dockerode';

export function dockerClient(endpoint: string): Docker {
  if (endpoint.startsWith('unix://')) return new Docker({ socketPath: endpoint.slice('unix://'.length) });
  if (endpoint.startsWith('tcp://')) {
    const u = new URL(endpoint.replace(/^tcp:/, 'http:'));
    return new Docker({ host: u.hostname, port: Number(u.port || 2375), protocol: 'http' });
  }
  throw new Error(`unsupported Docker endpoint "${endpoint}" (use unix:// or tcp://)`);
}
