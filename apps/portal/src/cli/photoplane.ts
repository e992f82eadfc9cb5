// The `photoplane` commands for support staff (SPEC A1-A6), in PhotoPrism's shape, one module per group behind this
// table. Every command is a call to the support API as the member of staff signed in with `photoplane login`.
// Exit codes: 0 done, 1 refused (the portal's 4xx, not signed in, nothing found), 2 usage (unknown command or flag,
// a missing argument, --reason or --yes).
import { ApiError, NotSignedInError } from './api-client.ts';
import { RefusedError, UsageError } from './args.ts';
import { audit } from './commands/audit.ts';
import { fleet } from './commands/fleet.ts';
import { links } from './commands/links.ts';
import { auth } from './commands/auth.ts';
import { logins } from './commands/logins.ts';
import { login, logout, whoami } from './commands/session.ts';
import { staff } from './commands/staff.ts';
import { tenants } from './commands/tenants.ts';
import { passwd, users } from './commands/users.ts';
import type { CliContext, Command } from './context.ts';

export { RefusedError, UsageError };

export const USAGE = `Usage: photoplane <command> [arguments] [flags]

Support staff commands over the support API; every change needs --reason "why" and is written to the audit log,
and so is every read.

  login [--url URL] [--email EMAIL] [--code CODE]   sign in (password and code asked, or read from stdin lines 1-2)
  logout | whoami                             end the stored session / show who is signed in
  users ls [SEARCH] --instance SUB           members of an instance (-m/--md, -c/--csv, -t/--tsv)
  users add [flags] EMAIL --instance SUB      invite by e-mail, or -p for a random password shown once
      -n, --name NAME  -m, --email EMAIL  -r, --role admin|user|viewer|guest  -s, --superadmin (= admin)
      -l, --no-login   -u, --upload-path LABEL   -q, --quota GIB   -p, --password
  users show USER --instance SUB              USER is the member's e-mail or id
  users mod USER --instance SUB [flags]       -n -r -s -l -u -q as above, --login, --disable-2fa
  users rm USER --instance SUB [--now --confirm EMAIL]   --now (at once) is superadmin's
  users reset USER --instance SUB --yes       new random password, shown once, must be changed
  passwd USER --instance SUB                  sets the password read from standard input
  logins ls [SEARCH] [-n LIMIT]               sign-in history (default 100 rows; --md, --csv, --tsv)
  logins clear                                removes the sign-in history (superadmin)
  auth ls [SEARCH] [--all] [-n LIMIT]         sessions and API keys (live ones unless --all)
  auth add USER --instance SUB --name NAME    an API key for a member, secret shown once (superadmin)
  auth show ID | auth rm ID                   one session or API key; rm revokes it
  auth reset USER [--instance SUB] --yes      revokes every session (and key) of an account or a member
  tenants ls [SEARCH] [--state STATE]         instances (search by subdomain or owner e-mail)
  tenants show SUB | tenants usage [SEARCH]   one instance; per-instance usage report
  tenants suspend|resume|reprovision|rm SUB   starts the provisioner's workflow (rm: superadmin)
  tenants backups SUB                         backups (snapshot ids), restores, last integrity check
  tenants backup SUB --reason R               back up now
  tenants restore SUB --snapshot ID [--inspect] --reason R
                                              restore in place (superadmin), or into an inspection stack
  tenants inspections SUB                     inspection stacks: state, host, address (127.0.0.1:PORT there)
  tenants inspection rm SUB ID --reason R     remove one (containers, network, volumes); the instance stays
  staff ls | staff add EMAIL --role ROLE      staff accounts (superadmin); add shows password and TOTP once
  staff role EMAIL support|superadmin | staff rm EMAIL
  audit ls [--actor A] [--instance SUB] [--since T] [--until T] [-n LIMIT]   the audit log
  fleet upgrade --image REF [--canary N] [--growth X] [--max-wave N] [--max-failure-rate F] [--watch]
                                              every active instance to REF, in waves (superadmin)
  fleet ls | fleet show ID [--watch]          rollouts and where each instance stands
  fleet pause|resume|cancel ID                the wave in flight finishes; the next waits / goes / never starts
  links block URL --reason R                  take a reported shared link down at the edge (451; owner e-mailed)
  links ls [SUB] [--holding] [-n LIMIT]       blocked links, newest first (lifted ones too unless --holding)
  links unblock ID|URL --reason R             lift a block: the link works again
`;

const commands: Record<string, Command> = {
  login,
  logout,
  whoami,
  users,
  passwd,
  logins,
  auth,
  tenants,
  staff,
  audit,
  fleet,
  links,
};

/** Runs one command line. */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<void> {
  const [group, command, ...rest] = argv;
  const run = group ? commands[group] : undefined;
  if (!run) throw new UsageError(group ? `unknown command: ${group}` : 'missing command');
  return run(ctx, command, rest);
}

/** One line for stderr and the exit code: 2 usage, 1 refused or failed. */
export function describeFailure(e: unknown): { line: string; code: 1 | 2 } {
  if (e instanceof UsageError) return { line: `photoplane: ${e.message} (see photoplane --help)`, code: 2 };
  if (e instanceof RefusedError) return { line: `photoplane: ${e.message}`, code: 1 };
  if (e instanceof NotSignedInError) return { line: `photoplane: not signed in: ${e.message}`, code: 1 };
  if (e instanceof ApiError) {
    const field = e.problem.errors?.[0]?.field;
    if (e.status >= 500) return { line: `photoplane: failed: the portal answered ${e.status}: ${e.message}`, code: 1 };
    return { line: `photoplane: refused: ${e.message}${field ? ` [${field}]` : ''}`, code: 1 };
  }
  const cause = (e as { cause?: { code?: string } } | null)?.cause?.code;
  if (cause === 'ECONNREFUSED')
    return { line: 'photoplane: failed: the portal does not answer (connection refused)', code: 1 };
  return { line: `photoplane: failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, code: 1 };
}
