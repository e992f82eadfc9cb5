// Random bearer secrets (refresh tokens, e-mailed links). 32 random bytes are unguessable, so a fast hash is
// enough at rest: SHA-256 lets the database look a token up by its hash without storing the token.
import { createHash, randomBytes } from 'node:crypto';

export function hashSecretToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function createSecretToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashSecretToken(token) };
}
