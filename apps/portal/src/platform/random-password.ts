// SPEC M3/M6: no fixed default password. 18 random bytes make a 24-character password that is shown once and
// stored only as its argon2id hash.
import { randomBytes } from 'node:crypto';

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
