// Secrets the control plane must be able to use again (not just check), so they cannot be hashes:
// - an instance's database password and its owner's first photo-app password are derived (HMAC of the instance id under the master key): nothing to store,
//   and a retried or repaired step gets the same password;
// - an instance's OpenID client secret (the photo app authenticates to the portal's provider with it) is derived
//   the same way, under a key the portal is given on its own (OIDC_CLIENT_SECRET_KEY), so neither side stores it;
// - the photo app's API key for the control plane is stored encrypted (AES-256-GCM under a key derived from the
//   master key), never in plain text, never in workflow history or logs.
import { backupRepositoryPassword } from './backup/restic.ts';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export interface Secrets {
  databasePassword(instanceId: string): string;
  /** The owner's first password in the photo app: must be changed at first sign-in, so it is only a door-opener. */
  ownerInitialPassword(instanceId: string): string;
  /**
   * The instance's OpenID client secret (client_id = the instance id): HMAC-SHA256(oidcClientSecretKey, instanceId)
   * as base64url. The portal holds only the derived key and computes the same value.
   */
  oidcClientSecret(instanceId: string): string;
  /** The password of the instance's backup repository (HKDF of the master key, salt = instance id; SPEC F1). */
  backupPassword(instanceId: string): string;
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

export function createSecrets(masterKey: string): Secrets {
  if (masterKey.length < 32) throw new Error('the master secret key must be at least 32 characters');
  const derive = (purpose: string) => createHmac('sha256', masterKey).update(purpose).digest();
  const dbKey = derive('photoplane/instance-db-password/v1');
  const ownerKey = derive('photoplane/owner-initial-password/v1');
  const encKey = derive('photoplane/secret-box/v1');
  const oidcKey = oidcClientSecretKey(masterKey);
  return {
    databasePassword: (instanceId) => createHmac('sha256', dbKey).update(instanceId).digest('base64url'),
    ownerInitialPassword: (instanceId) =>
      createHmac('sha256', ownerKey).update(instanceId).digest('base64url').slice(0, 24),
    oidcClientSecret: (instanceId) => createHmac('sha256', oidcKey).update(instanceId).digest('base64url'),
    backupPassword: (instanceId) => backupRepositoryPassword(masterKey, instanceId),
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        'v1',
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },
    decrypt(ciphertext) {
      const [version, iv, tag, body] = ciphertext.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a secret box of ours');
      const decipher = createDecipheriv('aes-256-gcm', encKey, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** The key OpenID client secrets are derived under (raw 32 bytes); the portal gets it base64url as OIDC_CLIENT_SECRET_KEY. */
export function oidcClientSecretKey(masterKey: string): Buffer {
  return createHmac('sha256', masterKey).update('photoplane/oidc-client-secret/v1').digest();
}
