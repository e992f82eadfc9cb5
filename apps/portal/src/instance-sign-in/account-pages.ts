// The member's own account page at the instance's address (SPEC U1-U6, issue 11 item 5): profile and storage,
// password, two-factor enrolment with a QR code, signed-in devices, personal API keys and app preferences. One
// server-rendered page with a form per change; every form carries the page's CSRF token. Values go through `esc`.
import type { MemberRole } from '@photoplane/tenant-model';
import type { Preferences } from '../members/member-account.repository.ts';
import type { ApiKeyView, MemberAccount } from '../members/member-account.service.ts';
import { errorBox, esc, field, layout } from './pages.ts';

export type AccountSection = 'profile' | 'password' | 'two-factor' | 'devices' | 'api-keys' | 'preferences';

export interface AccountDevice {
  id: string;
  deviceType: string | null;
  deviceOs: string | null;
  signedInAt: Date;
  lastUsedAt: Date;
  current: boolean;
}

export interface AccountPageInput {
  subdomain: string;
  origin: string;
  /** The portal's address: the owner's password is their portal account's. */
  portalUrl: string;
  base: string;
  signOutUrl: string;
  csrf: string;
  account: MemberAccount;
  devices: AccountDevice[];
  apiKeys: ApiKeyView[];
  preferences: Preferences;
  twoFactor: { enabled: boolean; pending: boolean };
  notice?: string;
  error?: { section: AccountSection; message: string; field?: string | undefined };
  /** What the member typed, shown again next to an error (never passwords). */
  values?: Record<string, string>;
  newApiKey?: { name: string; secret: string };
  enrolment?: { secret: string; qrDataUri: string };
}

const GIB = 1024 ** 3;
const ROLE_NAMES: Record<MemberRole, string> = {
  owner: 'Owner',
  admin: 'Administrator',
  user: 'Member',
  viewer: 'Viewer',
  guest: 'Guest',
};

function size(bytes: bigint | string): string {
  const n = Number(bytes);
  if (n >= GIB) return `${(n / GIB).toFixed(n >= 100 * GIB ? 0 : 1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}

const when = (d: Date) => esc(d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC');

export function renderAccountPage(p: AccountPageInput): string {
  const csrf = `<input type="hidden" name="csrf" value="${esc(p.csrf)}">`;
  const errorOf = (section: AccountSection, name?: string) =>
    p.error?.section === section && (name === undefined ? !p.error.field : p.error.field === name)
      ? p.error.message
      : undefined;
  const value = (name: string, fallback = '') => p.values?.[name] ?? fallback;
  const form = (path: string, body: string, cls = '') =>
    `<form method="post" action="${esc(p.base + path)}"${cls ? ` class="${cls}"` : ''}>${csrf}${body}</form>`;
  const a = p.account;
  const owner = a.role === 'owner';
  const used = BigInt(a.usageBytes);
  const limit = BigInt(a.effectiveLimitBytes);
  const roleName = ROLE_NAMES[a.role];

  const profile = `<section id="profile" aria-labelledby="profile-h">
<h2 id="profile-h">Profile</h2>
<p>${esc(a.email)} · ${esc(roleName)}</p>
<label for="storage">Storage: ${esc(size(used))} of ${esc(size(limit))}${
    a.quotaGiB === 0 ? ' (shares what the plan has left)' : ''
  }</label>
<meter id="storage" min="0" max="${limit > 0n ? limit.toString() : '1'}" value="${used.toString()}">${esc(size(used))}</meter>
${form(
  '/profile',
  `${field({ name: 'name', label: 'Name', type: 'text', value: value('name', a.name), autocomplete: 'name', error: errorOf('profile', 'name') ?? errorOf('profile'), extra: 'maxlength="100"' })}
<button type="submit">Save name</button>`,
)}
</section>`;

  const password = owner
    ? `<section id="password" aria-labelledby="password-h">
<h2 id="password-h">Password</h2>
<p>You own this library: you sign in with your Photoplane account, and change its password at
<a href="${esc(p.portalUrl)}/account">${esc(p.portalUrl)}/account</a>.</p>
</section>`
    : `<section id="password" aria-labelledby="password-h">
<h2 id="password-h">Password</h2>
<p class="muted">Changing it signs you out on your other devices.</p>
${errorOf('password') ? errorBox(errorOf('password'), 'password-form-error') : ''}
${form(
  '/password',
  `${field({ name: 'currentPassword', label: 'Current password', type: 'password', autocomplete: 'current-password', error: errorOf('password', 'currentPassword') })}
${field({ name: 'newPassword', label: 'New password (at least 12 characters)', type: 'password', autocomplete: 'new-password', error: errorOf('password', 'newPassword'), extra: 'minlength="12"' })}
${field({ name: 'confirmPassword', label: 'New password again', type: 'password', autocomplete: 'new-password', error: errorOf('password', 'confirmPassword') })}
<button type="submit">Change password</button>`,
)}
</section>`;

  let twoFactorBody: string;
  if (p.enrolment) {
    twoFactorBody = `<p>Scan this code with your authenticator app, or type the key by hand, then enter the 6-digit code it
shows to finish.</p>
<img class="qr" src="${esc(p.enrolment.qrDataUri)}" alt="QR code of the two-factor key (the same key is written below)">
<p>Key: <span class="secret" id="totp-secret">${esc(p.enrolment.secret)}</span></p>`;
  } else if (p.twoFactor.enabled) {
    twoFactorBody = `<p><strong>On.</strong> Signing in asks for a code from your authenticator app.</p>`;
  } else if (p.twoFactor.pending) {
    twoFactorBody = `<p>Set-up started: enter a code from your authenticator app to turn it on, or start again.</p>`;
  } else {
    twoFactorBody = `<p><strong>Off.</strong> Add a code from an authenticator app to every sign-in.</p>`;
  }
  const codeField = (id: string, label: string) =>
    field({
      name: 'code',
      id,
      label,
      type: 'text',
      autocomplete: 'one-time-code',
      error: errorOf('two-factor', 'code'),
      extra: 'inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7"',
    });
  let twoFactorForms: string;
  if (p.twoFactor.enabled) {
    twoFactorForms = form(
      '/two-factor/disable',
      `${codeField('disable-code', 'Current code (to turn it off)')}<button type="submit" class="secondary">Turn off two-factor</button>`,
    );
  } else if (p.enrolment || p.twoFactor.pending) {
    twoFactorForms = `${form('/two-factor/confirm', `${codeField('confirm-code', 'Code from the app')}<button type="submit">Turn on two-factor</button>`)}
${form('/two-factor/start', `<button type="submit" class="secondary">Start again with a new key</button>`)}`;
  } else {
    twoFactorForms = form('/two-factor/start', `<button type="submit">Set up two-factor</button>`);
  }
  const twoFactor = `<section id="two-factor" aria-labelledby="two-factor-h">
<h2 id="two-factor-h">Two-factor authentication</h2>
${errorOf('two-factor') ? errorBox(errorOf('two-factor'), 'two-factor-error') : ''}
${twoFactorBody}
${twoFactorForms}
</section>`;

  const deviceRows = p.devices
    .map(
      (d) =>
        `<tr><td>${esc([d.deviceType, d.deviceOs].filter(Boolean).join(' · ') || 'Unknown device')}${
          d.current ? ' <strong>(this browser)</strong>' : ''
        }</td><td>${when(d.signedInAt)}</td><td>${when(d.lastUsedAt)}</td><td>${form(
          `/devices/${encodeURIComponent(d.id)}/revoke`,
          `<button type="submit" class="inline secondary" aria-label="Sign out ${esc(d.current ? 'this browser' : [d.deviceType, d.deviceOs].filter(Boolean).join(' ') || 'device')}">Sign out</button>`,
          'inline',
        )}</td></tr>`,
    )
    .join('\n');
  const devices = `<section id="devices" aria-labelledby="devices-h">
<h2 id="devices-h">Signed-in devices</h2>
${errorOf('devices') ? errorBox(errorOf('devices'), 'devices-error') : ''}
<table><thead><tr><th scope="col">Device</th><th scope="col">Signed in</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${deviceRows}</tbody></table>
</section>`;

  const keyRows = p.apiKeys
    .map(
      (k) =>
        `<tr><td>${esc(k.name)}</td><td>${when(new Date(k.createdAt))}</td><td>${
          k.lastUsedAt ? when(new Date(k.lastUsedAt)) : 'never'
        }</td><td>${form(
          `/api-keys/${encodeURIComponent(k.id)}/delete`,
          `<button type="submit" class="inline secondary" aria-label="Delete the key ${esc(k.name)}">Delete</button>`,
          'inline',
        )}</td></tr>`,
    )
    .join('\n');
  const apiKeys = `<section id="api-keys" aria-labelledby="api-keys-h">
<h2 id="api-keys-h">API keys</h2>
<p class="muted">For scripts and tools that use Photoplane's API for this library as you.</p>
${
  p.newApiKey
    ? `<div class="notice" role="status"><p>Your new key "${esc(p.newApiKey.name)}". Copy it now: it is shown only once.</p>
<p class="secret" id="new-api-key">${esc(p.newApiKey.secret)}</p></div>`
    : ''
}
${p.apiKeys.length ? `<table><thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>${keyRows}</tbody></table>` : '<p>No keys yet.</p>'}
${form(
  '/api-keys',
  `${field({ name: 'name', id: 'api-key-name', label: 'New key name', type: 'text', value: value('keyName'), autocomplete: 'off', error: errorOf('api-keys', 'name'), extra: 'maxlength="100"' })}
<button type="submit">Create key</button>`,
)}
</section>`;

  const pr = p.preferences;
  const check = (name: keyof Preferences, label: string) =>
    `<label class="check"><input type="checkbox" name="${name}" value="on"${pr[name] ? ' checked' : ''}> ${esc(label)}</label>`;
  const preferences = `<section id="preferences" aria-labelledby="preferences-h">
<h2 id="preferences-h">Preferences</h2>
${form(
  '/preferences',
  `<label for="theme">Theme</label>
<select id="theme" name="theme">${(['system', 'light', 'dark'] as const)
    .map((t) => `<option value="${t}"${pr.theme === t ? ' selected' : ''}>${t[0]!.toUpperCase() + t.slice(1)}</option>`)
    .join('')}</select>
<label for="locale">Language and region (e.g. en-GB; empty: the browser's)</label>
<input id="locale" name="locale" type="text" autocomplete="off" maxlength="35" value="${esc(value('locale', pr.locale ?? ''))}"${
    errorOf('preferences', 'locale') ? ' aria-invalid="true" aria-describedby="locale-error"' : ''
  }>
${errorOf('preferences', 'locale') ? `<p class="field-error" id="locale-error">${esc(errorOf('preferences', 'locale'))}</p>` : ''}
${check('displayOriginalPhotos', 'Show original photos (not previews)')}
${check('playVideoOnHover', 'Play videos on hover')}
${check('permanentDeletionWarning', 'Warn before deleting permanently')}
${check('memories', 'Show memories')}
${check('peopleLink', 'Show the People link')}
${check('sharingLink', 'Show the Sharing link')}
<button type="submit">Save preferences</button>`,
)}
</section>`;

  return layout({
    title: 'Your account',
    subdomain: p.subdomain,
    wide: true,
    body: `<h1>Your account</h1>
<p class="links"><a href="${esc(p.origin)}/">Open the photo library</a><a href="${esc(p.signOutUrl)}">Sign out</a></p>
${p.notice ? `<p class="notice" role="status">${esc(p.notice)}</p>` : ''}
${profile}
${password}
${twoFactor}
${devices}
${apiKeys}
${preferences}`,
  });
}
