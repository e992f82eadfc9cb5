// The worker's configuration: the one place it reads the environment. Invalid values stop it at start-up.
export interface ProvisionerConfig {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  dockerHost: string;
  /** Name this worker's Docker host is registered under in the docker_host table. */
  dockerHostName: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readProvisionerConfig(env: NodeJS.ProcessEnv = process.env): ProvisionerConfig {
  const problems: string[] = [];
  const required = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push(`${name} is required`);
    return v ?? '';
  };
  const databaseUrl = required('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL must be a postgresql:// URL');
  const dockerHost = env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  if (!/^(unix|tcp):\/\//.test(dockerHost)) problems.push('DOCKER_HOST must start with unix:// or tcp://');
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as ProvisionerConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (problems.length) throw new ConfigError(`invalid provisioner configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    databaseUrl,
    temporalAddress: env.TEMPORAL_ADDRESS?.trim() || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE?.trim() || 'photoplane-provisioner',
    dockerHost,
    dockerHostName: env.PHOTOPLANE_DOCKER_HOST_NAME?.trim() || 'local',
    logLevel,
  };
}
