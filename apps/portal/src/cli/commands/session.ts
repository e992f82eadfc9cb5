// `login`, `logout`, `whoami` (SPEC A6): the CLI signs in like `gh auth login`: the portal's URL, e-mail, password and
// the authenticator's code; the revocable staff session is kept in the user's config folder (0600). Without a
// terminal, the password is the first line of standard input and the code, when asked for, the second.
import { ApiError, createSupportApi, logIn, NotSignedInError } from '../api-client.ts';
import { parse, RefusedError, UsageError } from '../args.ts';
import type { Command, CliContext } from '../context.ts';

async function ask(ctx: CliContext, question: string, hidden: boolean, stdinLine: number): Promise<string | undefined> {
  const typed = await ctx.io.prompt(question, hidden);
  if (typed !== null) return typed.trim() || undefined;
  return (await ctx.io.readStdinLines())[stdinLine]?.trim() || undefined;
}

const wantsCode = (e: unknown) =>
  e instanceof ApiError && e.status === 401 && (e.problem.errors ?? []).some((f) => f.field === 'totpCode');

export const login: Command = async (ctx, command, rest) => {
  const args = command === undefined ? rest : [command, ...rest];
  const { values } = parse(
    args,
    { url: { type: 'string' }, email: { type: 'string', short: 'm' }, code: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  const url = (values.url ?? ctx.defaultUrl)?.replace(/\/+$/, '');
  if (!url) throw new UsageError('--url is required: the portal to sign in to (or set PHOTOPLANE_URL)');
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must start with http:// or https://, got "${url}"`);
  const email = values.email ?? (await ctx.io.prompt('E-mail: ', false))?.trim();
  if (!email) throw new UsageError('--email is required: the staff account to sign in as');
  const password = await ask(ctx, 'Password: ', true, 0);
  if (!password) throw new UsageError('no password: type it, or give it as the first line of standard input');
  let tokens;
  try {
    tokens = await logIn(url, { email, password, totpCode: values.code });
  } catch (e) {
    if (!wantsCode(e) || values.code) throw e;
    const code = await ask(ctx, 'Code from the authenticator app: ', false, 1);
    if (!code) throw new RefusedError('this account signs in with a code from its authenticator app: add --code CODE');
    tokens = await logIn(url, { email, password, totpCode: code });
  }
  const session = {
    url,
    email,
    accessToken: tokens.accessToken,
    accessExpiresAt: new Date(Date.now() + tokens.expiresIn * 1000).toISOString(),
    refreshToken: tokens.refreshToken,
  };
  const api = createSupportApi(session, ctx.store);
  const me = await api.me();
  if (me.role !== 'support' && me.role !== 'superadmin') {
    await api.logOut();
    throw new RefusedError(`${me.email} is not a staff account; the photoplane CLI is for support staff`);
  }
  await ctx.store.write(api.session());
  ctx.io.out(`Signed in to ${url} as ${me.email} (${me.role}); session kept in ${ctx.store.file}\n`);
};

export const logout: Command = async (ctx, command, rest) => {
  parse(command === undefined ? rest : [command, ...rest], {}, { min: 0, max: 0, names: '' });
  const session = await ctx.store.read();
  if (!session) {
    ctx.io.out('Not signed in.\n');
    return;
  }
  try {
    await createSupportApi(session, ctx.store).logOut();
  } catch (e) {
    // Already ended at the portal: forgetting it here is all that is left to do.
    if (!(e instanceof NotSignedInError)) throw e;
  }
  await ctx.store.remove();
  ctx.io.out(`Signed out of ${session.url}; the session is revoked and forgotten.\n`);
};

export const whoami: Command = async (ctx, command, rest) => {
  parse(command === undefined ? rest : [command, ...rest], {}, { min: 0, max: 0, names: '' });
  const api = await ctx.api();
  const me = await api.me();
  ctx.io.out(`${me.email} (${me.role}) at ${api.session().url}\n`);
};
