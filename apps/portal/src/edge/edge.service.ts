// Caddy's on-demand TLS asks before it obtains a certificate for a host name it has never seen (SPEC V6). The
// answer is yes only for `<subdomain>.<domain>` of an instance that serves traffic right now, so nobody can make
// the edge mint certificates for names that serve nothing (or for other domains pointed at it).
import { instanceServesTraffic, parseSubdomain } from '@photoplane/tenant-model';
import type { InstanceRepository } from './instance.repository.ts';

export function createEdgeService(deps: { instances: InstanceRepository; domain: string }) {
  const suffix = `.${deps.domain.toLowerCase()}`;
  return {
    async mayIssueCertificate(hostname: string): Promise<boolean> {
      const host = hostname.trim().toLowerCase().replace(/\.$/, '');
      if (!host.endsWith(suffix)) return false;
      const label = host.slice(0, -suffix.length);
      let subdomain: string;
      try {
        subdomain = parseSubdomain(label); // one DNS label, not reserved: a.b.<domain> is refused here
      } catch {
        return false;
      }
      const state = await deps.instances.findStateBySubdomain(subdomain);
      return state !== undefined && instanceServesTraffic(state);
    },
  };
}

export type EdgeService = ReturnType<typeof createEdgeService>;
