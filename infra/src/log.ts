// Status lines for people watching `npm start` / `npm test`: one component tag, one sentence.
export function say(component: string, message: string): void {
  process.stderr.write(`[stack:${component}] ${message}\n`);
}

export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * Steps that only a first run (or a changed lock file, tool version or image) pays for: npm install, `go install`s,
 * image builds, apt installs. Each is timed and listed once the stack is up, so a newcomer knows the next run skips them.
 */
const firstRunSteps: { step: string; ms: number }[] = [];

export function recordFirstRunStep(step: string, ms: number): void {
  // The same step twice (an image imported into both test engines) is listed once, with both times added up.
  const same = firstRunSteps.find((s) => s.step === step);
  if (same) same.ms += ms;
  else firstRunSteps.push({ step, ms });
}

/** Runs a first-run step, says how long it took and records it for the summary. */
export async function timedFirstRunStep<T>(component: string, step: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  const ms = Date.now() - started;
  recordFirstRunStep(step, ms);
  say(component, `${step} took ${formatDuration(ms)} (first run only; later runs reuse the result)`);
  return result;
}

/** "npm install 3 min 6 s, go install caddy 41 s", or undefined when this run had none. */
export function firstRunSummary(): string | undefined {
  if (!firstRunSteps.length) return undefined;
  const total = firstRunSteps.reduce((sum, s) => sum + s.ms, 0);
  const steps = firstRunSteps.map((s) => `${s.step} ${formatDuration(s.ms)}`).join(', ');
  return `${steps} (${formatDuration(total)} in all; the next run skips them)`;
}
