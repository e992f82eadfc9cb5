// What a customer is told when an operation on their instance failed. The stored `lastError` is for staff: the
// step plus the raw error, which can hold container log tails, host names, addresses and paths of the operator's
// fleet. Customers see only which step did not complete; staff read the full text (support API, CLI, console).

const STEP = /^[a-z][a-z0-9_-]{0,39}$/;

/** A short, sanitised reason from the stored `<step or operation>: <error>` text; null when nothing failed. */
export function customerFacingReason(lastError: string | null): string | null {
  if (lastError === null) return null;
  const step = lastError.split(':', 1)[0]!.trim();
  return STEP.test(step)
    ? `The step "${step.replaceAll(/[_-]/g, ' ')}" did not complete.`
    : 'The last operation did not complete.';
}
