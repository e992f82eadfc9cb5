// A minimal client for Caddy's admin API (JSON over HTTP). Failures carry Caddy's own message, which names the
// offending path or module and is the quickest clue to what went wrong.

export class CaddyAdminError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** Undefined when Caddy did not answer at all. */
    readonly status: number | undefined,
    readonly caddyMessage: string,
  ) {
    super(
      status === undefined
        ? `Caddy admin API did not answer ${method} ${path}: ${caddyMessage}`
        : `Caddy admin API rejected ${method} ${path} (${status}): ${caddyMessage}`,
    );
    this.name = 'CaddyAdminError';
  }
}

/** Only a 404 from Caddy means "no such object"; an unreachable Caddy must never look like an absent route. */
export function isCaddyNotFound(e: unknown): boolean {
  return e instanceof CaddyAdminError && e.status === 404;
}

export interface CaddyAdmin {
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
}

export function createCaddyAdmin(adminUrl: string, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): CaddyAdmin {
  const base = adminUrl.replace(/\/+$/, '');
  const origin = new URL(base).origin;
  return {
    async request(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: {
            // fetch sends Sec-Fetch-Mode, and for that Caddy (guarding against browsers) demands an allowed Origin.
            origin,
            // Caddy restarts its admin listener on every config change; a kept-alive connection would be closed
            // under the next request.
            connection: 'close',
            // Caddy refuses bodies that are not declared as JSON.
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        // fetch says only "fetch failed"; the cause says why (refused, reset, timed out).
        const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new CaddyAdminError(method, path, undefined, `${reason} (${base})`);
      }
      const text = await res.text();
      if (!res.ok) throw new CaddyAdminError(method, path, res.status, errorMessage(text) || res.statusText);
      return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
    },
  };
}

/** Caddy answers errors as `{"error": "..."}`; anything else is passed on as it came. */
function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return text.trim();
}
