// Secrets the portal must read back (members' TOTP secrets, U6): a hash would not do, so they are AES-256-GCM
// encrypted under a key derived from TOTP_ENCRYPTION_KEY. GCM's tag makes a tampered or foreign ciphertext fail
// to open instead of yielding garbage. Format: v1.<iv>.<tag>.<ciphertext>, each base64url.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export function createSecretBox(keyMaterial: string, purpose = 'photoplane/member-totp/v1'): SecretBox {
  if (keyMaterial.length < 32) throw new Error('the encryption key must be at least 32 characters');
  // Derived, so the configured string may be any 32+ characters and one key never serves two purposes.
  const key = createHmac('sha256', keyMaterial).update(purpose).digest();
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret of ours');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
