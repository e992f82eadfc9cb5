// Readiness: can this portal do its work right now? Each dependency is checked with a deadline, all at once.
export type DependencyCheck = () => Promise<unknown>;

export interface CheckResult {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/**
 * A one-line reason. Driver errors sometimes carry it only in `cause` or `code`; Prisma's messages start with
 * the call site and end with the reason, so the last line is the one that says what happened.
 */
function describe(e: unknown): string {
  const seen = new Set<unknown>();
  for (let cur = e; cur && !seen.has(cur); cur = (cur as { cause?: unknown }).cause) {
    seen.add(cur);
    const { message, originalMessage, code, kind } = cur as Record<string, unknown>;
    const label = [kind, code].filter((v) => typeof v === 'string' || typeof v === 'number').join(' ');
    for (const text of [message, originalMessage, label]) {
      const lines = typeof text === 'string' ? text.split('\n').filter((l) => l.trim()) : [];
      if (lines.length) return lines[lines.length - 1]!.trim();
    }
  }
  return e instanceof Error ? e.name : 'unavailable';
}

export function createReadinessService(checks: Record<string, DependencyCheck>, timeoutMs = 2000) {
  async function run(name: string, check: DependencyCheck): Promise<[string, CheckResult]> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return [name, { status: 'up', latencyMs: Math.round(performance.now() - started) }];
    } catch (e) {
      const error = describe(e);
      return [name, { status: 'down', latencyMs: Math.round(performance.now() - started), error }];
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async check(): Promise<Readiness> {
      const results = await Promise.all(Object.entries(checks).map(([name, c]) => run(name, c)));
      const byName = Object.fromEntries(results);
      return { ready: results.every(([, r]) => r.status === 'up'), checks: byName };
    },
  };
}

export type ReadinessService = ReturnType<typeof createReadinessService>;
