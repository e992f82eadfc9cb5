// What integration tests need from the stack `npm test` started: where each real component is, the run id to
// label Docker resources with, and the locally built test images.
export interface TestStack {
  temporalAddress: string;
  temporalNamespace: string;
  dockerHost: string;
  /** A second engine on this machine (iptables off: for placement only), when the stack started its own dockerd. */
  secondDockerHost: string | undefined;
  runId: string;
  images: { busybox: string; photoAppStandin: string };
  caddy: { adminUrl: string; serverId: string; httpPort: number };
  domain: string;
  /** PHOTOPLANE_INSTANCE_URL: an instance's origin through the stack's Caddy, with `{subdomain}` in it. */
  instanceUrl: string;
  /** PHOTOPLANE_EDGE_SOCKET: the stack's Caddy on a unix socket, for photo-app containers. */
  edgeSocket: string;
  /** The stack's SMTP catcher: every message sent to it lands as an .eml file in mailDir. */
  smtp: { url: string; mailDir: string };
  /** restic and the folder the run's backup repositories go into (PHOTOPLANE_RESTIC, PHOTOPLANE_BACKUP_REPOSITORY). */
  backups: { restic: string; repositoryRoot: string };
}

export function testStack(): TestStack {
  const need = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run the tests through \`npm test\`, which starts the real components`);
    return v;
  };
  return {
    temporalAddress: need('TEMPORAL_ADDRESS'),
    temporalNamespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    dockerHost: need('DOCKER_HOST'),
    secondDockerHost: process.env.PHOTOPLANE_TEST_DOCKER_HOST_2,
    runId: need('PHOTOPLANE_TEST_RUN_ID'),
    images: {
      busybox: need('PHOTOPLANE_TEST_IMAGE_BUSYBOX'),
      photoAppStandin: need('PHOTOPLANE_TEST_IMAGE_PHOTO_APP'),
    },
    caddy: {
      adminUrl: need('CADDY_ADMIN_URL'),
      serverId: need('CADDY_SERVER_ID'),
      httpPort: Number(need('CADDY_HTTP_PORT')),
    },
    domain: need('PHOTOPLANE_DOMAIN'),
    instanceUrl: need('PHOTOPLANE_INSTANCE_URL'),
    edgeSocket: need('PHOTOPLANE_EDGE_SOCKET'),
    smtp: { url: need('SMTP_URL'), mailDir: need('PHOTOPLANE_TEST_MAIL_DIR') },
    backups: { restic: need('PHOTOPLANE_RESTIC'), repositoryRoot: need('PHOTOPLANE_BACKUP_REPOSITORY') },
  };
}

/** Labels every Docker resource a test creates carries, so the run's cleanup finds whatever a test left. */
export const TEST_RUN_LABEL = 'photoplane.test-run';

export function testLabels(runId: string): Record<string, string> {
  return { [TEST_RUN_LABEL]: runId };
}
