import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyConfigPatch, configDrift, desiredConfigPatch, ensureControlPlaneConfig } from './system-config.ts';
import type { PhotoApp, PhotoAppConfig } from './photo-app.ts';

const settings = {
  origin: 'https://smith.photos.example.com',
  issuer: 'https://smith.photos.example.com/photoplane',
  clientId: '3f2c9a1e-7b7d-4a2e-9d3c-0c1f5b6a7e88',
  clientSecret: 'derived-secret',
  deletionDelayDays: 7,
};

test('the desired config follows the member sign-in contract', () => {
  const patch = desiredConfigPatch(settings);
  assert.deepEqual(patch.passwordLogin, { enabled: false });
  assert.deepEqual(patch.storageTemplate, { enabled: true });
  assert.deepEqual(patch.user, { deleteDelay: 7 });
  assert.deepEqual(patch.server, { externalDomain: settings.origin });
  assert.equal(patch.oauth?.issuerUrl, settings.issuer);
  assert.equal(patch.oauth?.clientId, settings.clientId);
  assert.equal(patch.oauth?.clientSecret, settings.clientSecret);
  assert.equal(patch.oauth?.defaultStorageQuota, 0, 'no quota claim means nothing, never unlimited');
  assert.equal(patch.oauth?.allowInsecureRequests, false, 'https issuer');
  assert.equal(patch.oauth?.accountManagementUrl, `${settings.origin}/photoplane/account`);
  assert.equal(patch.oauth?.mobileRedirectUri, `${settings.origin}/api/oauth/mobile-redirect`);
  const local = desiredConfigPatch({ ...settings, issuer: 'http://smith.photos.localhost:8080/photoplane' });
  assert.equal(local.oauth?.allowInsecureRequests, true, 'only the local stack is plain http');
  // Immich refuses a delay under one day; its purge must never come before Photoplane's.
  assert.deepEqual(desiredConfigPatch({ ...settings, deletionDelayDays: 0 }).user, { deleteDelay: 1 });
});

test('drift names the differing fields only, and applying keeps what the control plane does not own', () => {
  const patch = desiredConfigPatch(settings);
  const current: PhotoAppConfig = {
    ...applyConfigPatch(
      { trash: { enabled: true, days: 30 }, storageTemplate: { template: '{{y}}/{{filename}}' } },
      patch,
    ),
  };
  assert.deepEqual(configDrift(current, patch), []);
  assert.deepEqual(current.trash, { enabled: true, days: 30 });
  assert.equal(current.storageTemplate?.template, '{{y}}/{{filename}}');
  const drifted = { ...current, passwordLogin: { enabled: true }, user: { deleteDelay: 30 } };
  assert.deepEqual(configDrift(drifted, patch), ['passwordLogin.enabled', 'user.deleteDelay']);
  assert.deepEqual(configDrift({}, patch).length, Object.values(patch).flatMap((f) => Object.keys(f)).length);
});

function fakeApp(initial: PhotoAppConfig, keep: (c: PhotoAppConfig) => PhotoAppConfig = (c) => c) {
  let config = initial;
  const writes: PhotoAppConfig[] = [];
  const app = {
    getConfig: () => Promise.resolve(config),
    updateConfig: (c: PhotoAppConfig) => {
      writes.push(c);
      config = keep(c);
      return Promise.resolve(config);
    },
  } as unknown as PhotoApp;
  return { app, writes };
}

test('ensure writes only when something differs, and fails when the app does not keep what it was given', async () => {
  const fresh = fakeApp({ trash: { days: 30 } });
  assert.ok((await ensureControlPlaneConfig(fresh.app, settings)).changed.includes('oauth.clientSecret'));
  assert.equal(fresh.writes.length, 1);
  assert.deepEqual(fresh.writes[0]?.trash, { days: 30 }, 'the whole config goes back');
  assert.deepEqual(await ensureControlPlaneConfig(fresh.app, settings), { changed: [] });
  assert.equal(fresh.writes.length, 1, 'nothing written when nothing differs');

  // An app that silently drops password login must not pass as configured.
  const stubborn = fakeApp({}, (c) => ({ ...c, passwordLogin: { enabled: true } }));
  await assert.rejects(ensureControlPlaneConfig(stubborn.app, settings), /did not keep passwordLogin\.enabled/);
});
