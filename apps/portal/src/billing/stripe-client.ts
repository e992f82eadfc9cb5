// The one place the portal makes its stripe-node client. Retries are off: a failed call surfaces as an error the
// customer (or Stripe, for webhooks) retries, and every call that creates something carries an idempotency key
// derived from what it is for, so the retry cannot create it twice.
import Stripe from 'stripe';
import type { StripeConfig } from '../config.ts';

export { Stripe };

export function createStripeClient(config: Pick<StripeConfig, 'secretKey' | 'apiUrl'>): Stripe {
  const endpoint = config.apiUrl ? new URL(config.apiUrl) : undefined;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: 0,
    telemetry: false,
    timeout: 10_000,
    ...(endpoint
      ? {
          host: endpoint.hostname,
          port: Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80)),
          protocol: endpoint.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}

/**
 * Runs one Stripe call. Stripe's errors carry Stripe's HTTP status (a 400 for a parameter we got wrong), which the
 * error handler would pass on to our client as if the client had erred: they become our 500, logged with the cause.
 */
export async function callStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof Stripe.errors.StripeError) throw new Error(`Stripe: ${what} failed: ${e.message}`, { cause: e });
    throw e;
  }
}
