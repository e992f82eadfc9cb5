// Password policy and hashing for portal accounts: argon2id with OWASP's minimum parameters, set explicitly so
// a library default changing under us cannot weaken stored hashes.
import { hash, verify, type Options } from '@node-rs/argon2';
import { validationError } from '@photoplane/tenant-model';
import { createHashingQueue, type HashingLimits } from './hashing-queue.ts';

export const MIN_PASSWORD_LENGTH = 12;
// Long enough for any passphrase or manager-generated secret, short enough that hashing stays cheap to refuse.
export const MAX_PASSWORD_LENGTH = 256;

const ARGON2: Options = {
  // Argon2id. The binding's Algorithm enum is a const enum, empty at runtime, so the value is written out.
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function assertPasswordPolicy(password: string, field = 'password'): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH)
    throw validationError(field, `The password must be at least ${MIN_PASSWORD_LENGTH} characters.`, 'minLength');
  if (length > MAX_PASSWORD_LENGTH)
    throw validationError(field, `The password must be at most ${MAX_PASSWORD_LENGTH} characters.`, 'maxLength');
}

/** Every hash and verify goes through one bounded queue (hashing-queue.ts), so load cannot exhaust memory. */
export function createPasswordService(limits?: HashingLimits) {
  const queue = createHashingQueue(limits);
  // A real hash of a random secret: verifying against it costs what verifying a real account costs, so an
  // unknown e-mail cannot be told from a wrong password by timing.
  let dummyHash: Promise<string> | undefined;

  return {
    hashPassword: (password: string): Promise<string> => queue.run(() => hash(password, ARGON2)),

    async verifyPassword(passwordHash: string, password: string): Promise<boolean> {
      return queue.run(async () => {
        try {
          return await verify(passwordHash, password);
        } catch {
          // A malformed stored hash must fail the sign-in, not crash it.
          return false;
        }
      });
    },

    async verifyAgainstDummy(password: string): Promise<void> {
      dummyHash ??= hash(crypto.randomUUID(), ARGON2);
      const against = await dummyHash;
      await queue.run(() => verify(against, password).catch(() => false));
    },

    /** Hashes running and waiting right now (for the benchmark and diagnostics). */
    hashingStats: () => queue.stats(),
    /** True while a hash would be refused at once (the queue is full). */
    hashingFull: () => queue.full(),
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
