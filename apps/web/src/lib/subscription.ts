// The customer's subscription as GET /v1/subscription answers it, and how its states read.
import { api } from './api';
import type { paths } from './openapi';

export type SubscriptionView = paths['/v1/subscription']['get']['responses'][200]['content']['application/json'];

/** The subscription, or null when the account has none yet (404). */
export async function fetchSubscription(): Promise<SubscriptionView | null> {
  const { data } = await api.GET('/v1/subscription');
  return data ?? null;
}

/** The provisioning saga's steps (provisionSteps in the provisioner), as a customer reads them. */
export const PROVISION_STEPS: { id: string; label: string }[] = [
  { id: 'start', label: 'Getting started' },
  { id: 'place', label: 'Choosing a server with room' },
  { id: 'containers', label: 'Starting your photo library' },
  { id: 'owner', label: 'Creating your admin account' },
  { id: 'route', label: 'Publishing your address' },
  { id: 'activate', label: 'Switching it on' },
  { id: 'notify', label: 'E-mailing you the details' },
];

export const STATE_LABELS: Record<string, string> = {
  incomplete: 'Waiting for payment',
  active: 'Active',
  past_due: 'Payment failed',
  suspended: 'Suspended',
  cancelled: 'Cancelled (runs until the end of the period)',
  retained: 'Stopped, data kept',
  ended: 'Ended',
  pending: 'Waiting for payment',
  provisioning: 'Being set up',
  failed: 'Setup failed',
  deprovisioning: 'Being removed',
  deprovisioned: 'Removed',
  suspending: 'Being suspended',
  resuming: 'Being resumed',
};

export const stateLabel = (state: string) => STATE_LABELS[state] ?? state;
