// A real browser for the web portal's tests: Debian's chromium (installed by the stack scripts, handed over in
// PHOTOPLANE_TEST_CHROMIUM) driven by playwright-core. Every page a test looks at is checked the same way:
// a screenshot kept under tests/artifacts/, axe-core in the page (serious or critical violations fail the test,
// in the light and the dark colour scheme), and any console error or uncaught exception fails the test too.
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './services.ts';

export const ARTIFACTS_DIR = path.join(repoRoot, 'tests', 'artifacts');

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far (a test asserts this stays empty). */
  errors: string[];
  /** Screenshot plus axe (light and dark) of the page as it is now; throws on serious or critical violations. */
  check(name: string): Promise<void>;
  close(): Promise<void>;
}

const FAILING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Opens chromium with one context and page. `folder` names this test's artifacts (screenshots), which are
 * replaced at each run. `viewport` defaults to a laptop; pass a phone's to check the narrow layout.
 */
export async function openBrowser(
  folder: string,
  opts: { viewport?: { width: number; height: number }; baseURL?: string } = {},
): Promise<BrowserSession> {
  const executablePath = process.env.PHOTOPLANE_TEST_CHROMIUM;
  if (!executablePath) throw new Error('PHOTOPLANE_TEST_CHROMIUM is not set: run browser tests through `npm test`');
  const dir = path.join(ARTIFACTS_DIR, folder);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The browser logs every 4xx answer as "Failed to load resource". An API answer the page handles (a wrong
    // password, a refused field) is not an error of the page; any other failed resource (a script, a style) is.
    const where = msg.location().url;
    if (/Failed to load resource/.test(msg.text()) && where && new URL(where).pathname.startsWith('/v1/')) return;
    errors.push(`${page.url()}: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  let shot = 0;
  return {
    browser,
    context,
    page,
    errors,
    async check(name: string) {
      const file = `${String(++shot).padStart(2, '0')}-${name}`;
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: path.join(dir, `${file}-${scheme}.png`), fullPage: true });
        const result = await new AxeBuilder({ page }).analyze();
        const failing = result.violations.filter((v) => FAILING_IMPACTS.has(v.impact ?? ''));
        if (failing.length) {
          const lines = failing.map(
            (v) => `  ${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}`).join('\n')}`,
          );
          throw new Error(`axe (${scheme}) on ${name} (${page.url()}):\n${lines.join('\n')}`);
        }
      }
      await page.emulateMedia({ colorScheme: 'light' });
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}
