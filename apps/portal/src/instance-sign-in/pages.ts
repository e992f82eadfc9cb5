// The sign-in pages members see at their instance's own address (SPEC I1, M2, M3, U6): plain server-rendered HTML,
// one stylesheet and one small script served from the same prefix, so the Content-Security-Policy can forbid
// everything inline. Every value that reaches the page goes through `esc`.
const ASSETS = '/photoplane/assets';

export function esc(value: string | number | undefined): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function layout(input: {
  title: string;
  subdomain: string;
  body: string;
  script?: string;
  wide?: boolean;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)} · ${esc(input.subdomain)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS}/sign-in.css">
${input.script ? `<script src="${ASSETS}/${input.script}" defer></script>` : ''}
</head>
<body>
<main class="card${input.wide ? ' wide' : ''}">
<p class="brand">${esc(input.subdomain)} · photo library</p>
${input.body}
</main>
<footer>Accounts on this library are run by Photoplane.</footer>
</body>
</html>`;
}

export function errorBox(message: string | undefined, id = 'form-error'): string {
  return message ? `<p class="error" id="${id}" role="alert">${esc(message)}</p>` : '';
}

/** A labelled input, with its error (if any) announced and tied to it. */
export function field(input: {
  name: string;
  label: string;
  type: string;
  value?: string;
  autocomplete: string;
  error?: string;
  extra?: string;
  /** A distinct element id where one page has two forms with the same field name. */
  id?: string;
}): string {
  const id = input.id ?? input.name;
  const errorId = `${id}-error`;
  return `<label for="${id}">${esc(input.label)}</label>
<input id="${id}" name="${input.name}" type="${input.type}" autocomplete="${input.autocomplete}" required${
    input.value ? ` value="${esc(input.value)}"` : ''
  }${input.error ? ` aria-invalid="true" aria-describedby="${errorId}"` : ''}${input.extra ? ` ${input.extra}` : ''}>
${input.error ? `<p class="field-error" id="${errorId}">${esc(input.error)}</p>` : ''}`;
}

/** A mailed link's token (moved into the form by register.js) and a password chosen twice. */
function tokenAndPassword(input: { token?: string; error?: string; field?: string }, prefix: '' | 'New '): string {
  const errorOf = (name: string) => (input.field === name ? input.error : undefined);
  return `<input type="hidden" name="token" id="token" value="${esc(input.token ?? '')}">
${field({
  name: 'password',
  label: `${prefix}${prefix ? 'password' : 'Password'} (at least 12 characters)`,
  type: 'password',
  autocomplete: 'new-password',
  error: errorOf('password'),
  extra: 'minlength="12" autofocus',
})}
${field({
  name: 'confirmPassword',
  label: `${prefix}${prefix ? 'password' : 'Password'} again`,
  type: 'password',
  autocomplete: 'new-password',
  error: errorOf('confirmPassword'),
})}`;
}

export function renderSignIn(input: {
  subdomain: string;
  action: string;
  forgotUrl: string;
  email?: string;
  error?: string;
}): string {
  return layout({
    title: 'Sign in',
    subdomain: input.subdomain,
    body: `<h1>Sign in</h1>
${errorBox(input.error)}
<form method="post" action="${esc(input.action)}">
${field({ name: 'email', label: 'E-mail', type: 'email', value: input.email, autocomplete: 'username', extra: 'autofocus' })}
${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' })}
<button type="submit">Sign in</button>
</form>
<p class="aside"><a href="${esc(input.forgotUrl)}">Forgot your password?</a></p>`,
  });
}

export function renderCode(input: { subdomain: string; action: string; proof: string; error?: string }): string {
  return layout({
    title: 'Two-factor code',
    subdomain: input.subdomain,
    body: `<h1>Two-factor code</h1>
<p>Enter the 6-digit code from your authenticator app.</p>
<form method="post" action="${esc(input.action)}">
<input type="hidden" name="proof" value="${esc(input.proof)}">
${field({
  name: 'code',
  label: 'Code',
  type: 'text',
  autocomplete: 'one-time-code',
  error: input.error,
  extra: 'inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7" autofocus',
})}
<button type="submit">Continue</button>
</form>`,
  });
}

export function renderNewPassword(input: {
  subdomain: string;
  action: string;
  proof: string;
  error?: string;
  field?: string;
  reason: string;
}): string {
  return layout({
    title: 'Choose a new password',
    subdomain: input.subdomain,
    body: `<h1>Choose a new password</h1>
<p>${esc(input.reason)}</p>
<form method="post" action="${esc(input.action)}">
<input type="hidden" name="proof" value="${esc(input.proof)}">
${field({
  name: 'newPassword',
  label: 'New password (at least 12 characters)',
  type: 'password',
  autocomplete: 'new-password',
  error: input.field === 'newPassword' ? input.error : undefined,
  extra: 'minlength="12" autofocus',
})}
${field({
  name: 'confirmPassword',
  label: 'New password again',
  type: 'password',
  autocomplete: 'new-password',
  error: input.field === 'confirmPassword' ? input.error : undefined,
})}
${input.field ? '' : errorBox(input.error)}
<button type="submit">Save and continue</button>
</form>`,
  });
}

export function renderRegister(input: {
  subdomain: string;
  action: string;
  token?: string;
  error?: string;
  field?: string;
}): string {
  return layout({
    title: 'Create your account',
    subdomain: input.subdomain,
    script: 'register.js',
    body: `<h1>Create your account</h1>
<p>You were invited to this photo library. Choose the password you will sign in with.</p>
${input.field === 'token' || !input.field ? errorBox(input.error) : ''}
<form method="post" action="${esc(input.action)}">
${tokenAndPassword(input, '')}
<button type="submit">Create account</button>
</form>`,
  });
}

export function renderRegistered(input: { subdomain: string; origin: string }): string {
  return layout({
    title: 'Account ready',
    subdomain: input.subdomain,
    body: `<h1>Your account is ready</h1>
<p>Sign in with your e-mail address and the password you just chose.</p>
<p><a class="button" href="${esc(input.origin)}/">Open the photo library</a></p>`,
  });
}

export function renderMessage(input: { subdomain: string; title: string; message: string; origin?: string }): string {
  return layout({
    title: input.title,
    subdomain: input.subdomain,
    body: `<h1>${esc(input.title)}</h1>
<p>${esc(input.message)}</p>
${input.origin ? `<p><a class="button" href="${esc(input.origin)}/">Back to the photo library</a></p>` : ''}`,
  });
}

export function renderLogoutPage(input: { subdomain: string; form: string }): string {
  // `form` is the provider's own hidden form (its action and CSRF token), built by oidc-provider.
  return layout({
    title: 'Sign out',
    subdomain: input.subdomain,
    body: `<h1>Sign out?</h1>
<p>You will be signed out of this photo library on this device.</p>
${input.form}
<button type="submit" form="op.logoutForm" value="yes" name="logout" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  });
}

export function renderSignedOutPage(input: { subdomain: string; origin: string }): string {
  return renderMessage({
    subdomain: input.subdomain,
    title: 'Signed out',
    message: 'You are signed out of this photo library.',
    origin: input.origin,
  });
}

export function renderProviderError(input: {
  subdomain: string;
  origin: string;
  out: { error?: string; error_description?: string };
}): string {
  return renderMessage({
    subdomain: input.subdomain,
    title: 'Sign-in could not continue',
    message: input.out.error_description ?? input.out.error ?? 'Something went wrong.',
    origin: input.origin,
  });
}

export const SIGN_IN_CSS = `:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--text:#1d2433;--muted:#5b6474;--accent:#3454d1;--accent-text:#fff;--error:#b3261e;--border:#c9ced8}
@media (prefers-color-scheme:dark){:root{--bg:#11141a;--card:#1b1f27;--text:#e6e9ef;--muted:#a3abba;--accent:#8aa4ff;--accent-text:#0b0e14;--error:#ffb4ab;--border:#3a4150}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:1rem}
.card{width:100%;max-width:24rem;background:var(--card);border:1px solid var(--border);border-radius:12px;padding:1.5rem 1.5rem 1.75rem}
.brand{margin:0 0 .5rem;color:var(--muted);font-size:.875rem}h1{margin:0 0 1rem;font-size:1.5rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input{width:100%;padding:.6rem .7rem;border:1px solid var(--border);border-radius:8px;background:transparent;color:inherit;font:inherit}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button,.button{display:inline-block;width:100%;margin-top:1.25rem;padding:.7rem 1rem;border:0;border-radius:8px;background:var(--accent);color:var(--accent-text);font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
button.secondary{background:transparent;color:var(--text);border:1px solid var(--border);margin-top:.5rem}
.error,.field-error{color:var(--error)}.error{border:1px solid var(--error);border-radius:8px;padding:.5rem .75rem}.field-error{margin:.25rem 0 0;font-size:.9rem}
footer{margin-top:1rem;color:var(--muted);font-size:.8rem}.aside{margin:1rem 0 0;text-align:center}a{color:var(--accent)}
.card.wide{max-width:46rem}section{border-top:1px solid var(--border);margin-top:1.5rem;padding-top:1rem}h2{font-size:1.15rem;margin:0 0 .5rem}
.notice{border:1px solid var(--accent);border-radius:8px;padding:.5rem .75rem}.muted{color:var(--muted)}
table{width:100%;border-collapse:collapse;margin:.5rem 0}th,td{text-align:left;padding:.4rem .3rem;border-bottom:1px solid var(--border);vertical-align:middle}
button.inline,.button.inline{width:auto;margin:0;padding:.35rem .7rem;font-size:.9rem}form.inline{margin:0}
.check{display:flex;gap:.5rem;align-items:center;margin:.4rem 0;font-weight:400}.check input{width:auto}select{width:100%;padding:.55rem .6rem;border:1px solid var(--border);border-radius:8px;background:var(--card);color:inherit;font:inherit}
meter{width:100%;height:1.1rem}.secret{font-family:ui-monospace,monospace;word-break:break-all;border:1px dashed var(--border);border-radius:8px;padding:.5rem .75rem}
.qr{background:#fff;padding:.5rem;border-radius:8px;width:12rem;height:12rem}.links{display:flex;gap:1rem;flex-wrap:wrap}`;

/** Invitation and reset links carry their token in the fragment (never sent to a server or logged): into the form. */
export const REGISTER_JS = `(function(){var m=/(?:^|[#&])token=([^&]+)/.exec(location.hash);var t=document.getElementById('token');
if(m&&t&&!t.value){t.value=decodeURIComponent(m[1]);history.replaceState(null,'',location.pathname);}})();`;

export function renderForgotPassword(input: {
  subdomain: string;
  action: string;
  origin: string;
  email?: string;
  error?: string;
}): string {
  return layout({
    title: 'Forgot your password?',
    subdomain: input.subdomain,
    body: `<h1>Forgot your password?</h1>
<p>Enter the e-mail address you sign in with. If it belongs to an account here, we send it a link to choose a new
password.</p>
${errorBox(input.error)}
<form method="post" action="${esc(input.action)}">
${field({ name: 'email', label: 'E-mail', type: 'email', value: input.email, autocomplete: 'username', extra: 'autofocus' })}
<button type="submit">Send the link</button>
</form>
<p class="aside"><a href="${esc(input.origin)}/">Back to the photo library</a></p>`,
  });
}

export function renderForgotSent(input: { subdomain: string; origin: string }): string {
  return renderMessage({
    subdomain: input.subdomain,
    title: 'Check your e-mail',
    message:
      'If that address belongs to an account here, a link to choose a new password is on its way. It works once, ' +
      'for one hour. The owner of this library receives the reset link of their Photoplane account instead.',
    origin: input.origin,
  });
}

export function renderResetPassword(input: {
  subdomain: string;
  action: string;
  forgotUrl: string;
  token?: string;
  error?: string;
  field?: string;
}): string {
  return layout({
    title: 'Choose a new password',
    subdomain: input.subdomain,
    script: 'register.js',
    body: `<h1>Choose a new password</h1>
<p>Choosing a new password signs you out on every device.</p>
${input.field === 'token' || !input.field ? errorBox(input.error) : ''}
${input.field === 'token' ? `<p><a href="${esc(input.forgotUrl)}">Ask for a new link</a></p>` : ''}
<form method="post" action="${esc(input.action)}">
${tokenAndPassword(input, 'New ')}
<button type="submit">Save the new password</button>
</form>`,
  });
}
