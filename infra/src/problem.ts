// Something that keeps the stack from running on this machine, said in one line: what is wrong, then how to fix
// it. main.ts prints these without a stack trace; they are the user's to fix, not a bug to debug.
export class StackProblem extends Error {
  override name = 'StackProblem';
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}. Fix: ${fix}`);
  }
}

/** What to print for an error that ends the stack: one line for a StackProblem, the message (no trace) otherwise. */
export function describeFailure(e: unknown): string {
  if (e instanceof StackProblem) return e.message;
  if (e instanceof Error) {
    // A failed spawn (EACCES, ENOENT) names the binary and the errno; its trace is Node's, not ours.
    const errno = (e as NodeJS.ErrnoException).code;
    const spawnargs = (e as { path?: string }).path;
    if (errno && spawnargs && e.message.startsWith('spawn ')) return `could not run ${spawnargs} (${errno})`;
    return e.message;
  }
  return String(e);
}
