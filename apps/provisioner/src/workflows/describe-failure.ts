// The one-line reason a workflow records for a failed activity or child (instance.lastError, reports).

/** The innermost message: an ActivityFailure wraps the activity's own error as its cause. */
export function describe(err: unknown): string {
  let cur: unknown = err;
  while (cur instanceof Error && cur.cause instanceof Error) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}
