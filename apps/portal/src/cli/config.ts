// The `photoplane` CLI's own settings (it is a client: it never reads the portal's configuration or secrets).
import os from 'node:os';
import path from 'node:path';

export interface CliConfig {
  /** Where the staff session is kept: $XDG_CONFIG_HOME/photoplane, else ~/.config/photoplane. */
  configDir: string;
  /** PHOTOPLANE_URL: the portal `photoplane login` signs in to when --url is not given. */
  defaultUrl: string | undefined;
}

export function readCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const base = env.XDG_CONFIG_HOME?.trim() || path.join(env.HOME?.trim() || os.homedir(), '.config');
  return { configDir: path.join(base, 'photoplane'), defaultUrl: env.PHOTOPLANE_URL?.trim() || undefined };
}
