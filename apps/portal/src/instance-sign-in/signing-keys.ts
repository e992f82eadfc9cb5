// The provider's RS256 signing keys (SPEC I1), shared by every instance's provider: the newest unretired key signs,
// retired ones stay in the JWKS until the tokens they signed have expired, so a rotation never breaks a photo app
// that is verifying a token signed a moment before. Private keys are stored encrypted (AES-256-GCM).
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import type { OidcRepository } from './oidc.repository.ts';
import type { SecretBox } from '../platform/secret-box.ts';

export interface SigningKeyRing {
  /** Private JWKs, the signing key first. */
  keys: JsonWebKey[];
  /** Changes whenever a key is added or retired: providers built on an older ring are rebuilt. */
  version: string;
}

export interface SigningKeysDeps {
  repository: OidcRepository['signingKeys'];
  box: SecretBox;
  /** How long a retired key stays published: longer than any token it signed lives. */
  retainRetiredMs: number;
  now?: () => Date;
}

export function createSigningKeys({ repository, box, retainRetiredMs, now = () => new Date() }: SigningKeysDeps) {
  async function addKey(): Promise<string> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomUUID();
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    await repository.insert(kid, box.seal(JSON.stringify(jwk)), now());
    return kid;
  }

  return {
    /** The current ring; the first start makes the first key. Keys retired long enough ago are dropped. */
    async load(): Promise<SigningKeyRing> {
      await repository.deleteRetiredBefore(new Date(now().getTime() - retainRetiredMs));
      let rows = await repository.list();
      if (!rows.some((r) => r.retiredAt === null)) {
        await addKey();
        rows = await repository.list();
      }
      // Newest unretired first: oidc-provider signs with the first key that fits the algorithm.
      const ordered = [...rows].sort(
        (a, b) => Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || +b.createdAt - +a.createdAt,
      );
      return {
        keys: ordered.map((r) => JSON.parse(box.open(r.privateJwkCipher)) as JsonWebKey),
        version: ordered.map((r) => `${r.kid}:${r.retiredAt ? 'r' : 'a'}`).join(','),
      };
    },

    /** A new signing key; the old ones keep verifying until they are dropped. Returns the new key id. */
    async rotate(): Promise<string> {
      const kid = await addKey();
      await repository.retireAllBut(kid, now());
      return kid;
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
