// The browser the web portal's tests drive (playwright-core, never a browser download): Debian's chromium,
// installed with apt when it is missing (as root), or the one PHOTOPLANE_TEST_CHROMIUM names.
import fs from 'node:fs';
import { findOnPath } from './go-tools.ts';
import { say } from './log.ts';
import { run } from './process.ts';

const CANDIDATES = ['chromium', 'chromium-browser'];

function findChromium(): string | undefined {
  for (const name of CANDIDATES) {
    const found = findOnPath(name);
    if (found) return found;
  }
  return fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

/** The chromium executable for browser tests; installs Debian's package once per machine when it can. */
export async function ensureChromium(given: string | undefined): Promise<string> {
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`PHOTOPLANE_TEST_CHROMIUM=${given} does not exist`);
    return given;
  }
  const found = findChromium();
  if (found) return found;
  if (!findOnPath('apt-get') || process.getuid?.() !== 0) {
    throw new Error(
      'chromium is not installed: install it (Debian: apt-get install chromium) or set PHOTOPLANE_TEST_CHROMIUM',
    );
  }
  say('chromium', "installing Debian's chromium for the browser tests (once per machine)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env });
  const installed = findChromium();
  if (!installed) throw new Error('apt-get installed chromium, but no chromium executable was found');
  return installed;
}
