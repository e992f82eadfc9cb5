// The stand-in's web client: signs in the way Immich's web app does.
'use strict';

const byId = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch('/api' + path, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const message = data && data.message ? [].concat(data.message).join('; ') : res.status + ' ' + res.statusText;
    throw new ApiError(message, res.status);
  }
  return data;
}

function showStatus(text) {
  byId('status').textContent = text;
}

function showError(text) {
  const el = byId('error');
  el.textContent = text;
  el.hidden = false;
  showStatus('');
}

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
  return shown + ' ' + units[unit] + ' (' + bytes + ' bytes)';
}

async function startOAuth() {
  showStatus('Redirecting to sign in…');
  const { url } = await api('POST', '/oauth/authorize', { redirectUri: location.origin + '/auth/login' });
  location.assign(url);
}

async function loginPage() {
  const params = new URLSearchParams(location.search);
  const [features, config] = await Promise.all([api('GET', '/server/features'), api('GET', '/server/config')]);
  if (config.loginPageMessage) {
    byId('message').textContent = config.loginPageMessage;
    byId('message').hidden = false;
  }

  // Back from the provider: finish the login with the whole URL.
  if (params.has('code') || params.has('error')) {
    showStatus('Signing you in…');
    try {
      await api('POST', '/oauth/callback', { url: location.href });
      location.replace('/photos');
      return;
    } catch (error) {
      showError('Sign-in failed: ' + error.message);
      history.replaceState(null, '', '/auth/login?autoLaunch=0');
    }
  } else if (features.oauth && features.oauthAutoLaunch && params.get('autoLaunch') !== '0') {
    await startOAuth();
    return;
  } else {
    showStatus('');
  }

  if (features.oauth) {
    byId('oauth-button').textContent = config.oauthButtonText || 'Login with OAuth';
    byId('oauth-button').addEventListener('click', () => startOAuth().catch((e) => showError(e.message)));
    byId('oauth').hidden = false;
  }
  if (features.passwordLogin) {
    const form = byId('password-form');
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      api('POST', '/auth/login', { email: byId('email').value, password: byId('password').value })
        .then(() => location.replace('/photos'))
        .catch((e) => showError(e.message));
    });
  }
  if (!features.oauth && !features.passwordLogin) {
    showError('Login has been disabled.');
  }
}

async function photosPage() {
  let me;
  try {
    me = await api('GET', '/users/me');
  } catch (error) {
    if (error.status === 401) {
      location.replace('/auth/login');
      return;
    }
    throw error;
  }
  byId('user-name').textContent = me.name;
  byId('user-email').textContent = me.email;
  byId('user-role').textContent = me.isAdmin ? 'admin' : 'user';
  byId('user-storage-label').textContent = me.storageLabel || '(none)';
  const quota = me.quotaSizeInBytes;
  const usage = me.quotaUsageInBytes || 0;
  byId('user-quota').textContent = quota === null ? 'unlimited' : formatBytes(quota);
  byId('user-quota').dataset.bytes = quota === null ? '' : String(quota);
  byId('user-usage').textContent = formatBytes(usage);
  byId('user-usage').dataset.bytes = String(usage);
  const meter = byId('usage-meter');
  meter.value = quota ? Math.min(usage / quota, 1) : 0;
  meter.textContent = quota ? Math.round((usage / quota) * 100) + '%' : 'no limit';
  // Immich's web app links to the OAuth provider's account page when the server names one.
  const config = await api('GET', '/server/config');
  if (config.oauthAccountManagementUrl) {
    byId('account-settings').href = config.oauthAccountManagementUrl;
    byId('account-settings').hidden = false;
  }
  byId('account').hidden = false;
  showStatus('');

  byId('sign-out').addEventListener('click', () => {
    api('POST', '/auth/logout')
      .then((res) => location.assign((res && res.redirectUri) || '/auth/login'))
      .catch((e) => showError(e.message));
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  const run = page === 'login' ? loginPage : page === 'photos' ? photosPage : null;
  if (run) {
    run().catch((error) => showError(error.message));
  }
});
