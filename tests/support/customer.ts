// What the end-to-end tests do as a customer and the outside world: call the portal's API, wait for a state, read
// the stack's caught mail, deliver Stripe's signed webhooks, reach an instance through Caddy, and buy an instance
// the way a customer does (sign up, confirm, sign in, check out, Stripe's events) until it is active.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { PrismaClient } from '@photoplane/db';
import type { TestStack } from '@photoplane/infra/testing';
import { simpleParser } from 'mailparser';
import Stripe from 'stripe';
import type { Services } from './services.ts';

// Only used to sign payloads as Stripe does; it never makes a request.
const stripe = new Stripe('sk_test_unused', { telemetry: false });

export interface SubscriptionView {
  state: string;
  plan: { id: string };
  instance: { subdomain: string; url: string; state: string; provisioningStep: string | null } | null;
}

/** A Stripe subscription object as its webhooks carry it: active, one item on `priceId`, paid until `periodEnd`. */
export function stripeSubscription(input: {
  id: string;
  customer: string | null;
  subscriptionId: string;
  priceId: string;
  periodEnd?: number;
}) {
  return {
    id: input.id,
    object: 'subscription',
    customer: input.customer,
    status: 'active',
    metadata: { subscriptionId: input.subscriptionId },
    cancel_at_period_end: false,
    items: {
      object: 'list',
      data: [
        {
          id: `si_${input.id}`,
          object: 'subscription_item',
          price: { id: input.priceId, object: 'price' },
          current_period_end: input.periodEnd ?? Math.floor(Date.now() / 1000) + 30 * 86400,
        },
      ],
    },
  };
}

export function customerKit(services: Services, stack: TestStack, webhookSecret = process.env.STRIPE_WEBHOOK_SECRET!) {
  async function api<T = Record<string, unknown>>(
    method: string,
    url: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${services.portalUrl}${url}`, {
      method,
      headers: {
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}\n${services.output()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The newest message the stack's SMTP catcher holds for `to` whose subject matches. */
  async function mailTo(to: string, subject: RegExp): Promise<string> {
    return waitFor(
      `a mail to ${to} about ${subject}`,
      async () => {
        for (const file of fs.readdirSync(stack.smtp.mailDir).sort().reverse()) {
          const mail = await simpleParser(fs.readFileSync(path.join(stack.smtp.mailDir, file)));
          const recipients = [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address) ?? []);
          if (recipients.includes(to) && subject.test(mail.subject ?? '')) return mail.text ?? '';
        }
        return '';
      },
      (text) => text !== '',
      20_000,
    );
  }

  /**
   * Delivers an event the way Stripe does: JSON body, Stripe-Signature over it with the endpoint's secret. The
   * object (a checkout session or subscription) becomes what the portal reads back from "Stripe" from now on.
   */
  async function deliver(type: string, object: { id: string; [field: string]: unknown }) {
    if (!type.startsWith('invoice.')) services.stripe?.put(object);
    const payload = JSON.stringify({
      id: `evt_${randomBytes(8).toString('hex')}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object },
    });
    const res = await fetch(`${services.portalUrl}/v1/stripe/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }),
      },
      body: payload,
    });
    assert.equal(res.status, 200, await res.text());
  }

  /**
   * A request to `<subdomain>.<domain>` through the edge, as a browser resolving the name to Caddy would send it
   * (node:http, since fetch does not let a caller set Host).
   */
  function throughEdge(
    host: string,
    urlPath: string,
    init: { method?: string; token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: stack.caddy.httpPort,
          path: urlPath,
          method: init.method ?? 'GET',
          headers: {
            host,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
            ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            let body: Record<string, unknown> = {};
            try {
              body = JSON.parse(text) as Record<string, unknown>;
            } catch {
              // not JSON (Caddy's own answer when no route matches)
            }
            resolve({ status: res.statusCode ?? 0, body, text });
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.end(payload);
    });
  }

  /**
   * A customer buys an instance on `planId`: sign-up, the e-mailed confirmation, sign-in, checkout, and Stripe's
   * events for a paid subscription; resolves once the instance is active. Returns the customer and the instance.
   */
  async function buyInstance(prisma: PrismaClient, planId = 'starter') {
    const email = `buyer-${randomBytes(4).toString('hex')}@example.com`;
    const password = `a long password ${randomBytes(4).toString('hex')}`;
    assert.equal((await api('POST', '/v1/auth/signup', { body: { email, password, name: 'Bo Buyer' } })).status, 202);
    const token = /#token=([A-Za-z0-9_-]+)/.exec(await mailTo(email, /confirm|verify/i))?.[1];
    assert.equal((await api('POST', '/v1/auth/verify-email', { body: { token } })).status, 204);
    const access = (await api<{ accessToken: string }>('POST', '/v1/auth/login', { body: { email, password } })).body
      .accessToken;
    const subdomain = `buy${randomBytes(3).toString('hex')}`;
    const checkout = await api<{ subscriptionId: string }>('POST', '/v1/checkout', {
      token: access,
      body: { planId, subdomain },
    });
    assert.equal(checkout.status, 200, JSON.stringify(checkout.body));
    const { subscriptionId } = checkout.body;
    const { stripeCustomerId } = await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } });
    const { stripePriceId } = await prisma.plan.findUniqueOrThrow({ where: { id: planId } });
    const stripeSubscriptionId = `sub_${randomBytes(6).toString('hex')}`;
    // As at Stripe: the subscription exists before its Checkout Session completes, paid.
    await deliver(
      'customer.subscription.created',
      stripeSubscription({
        id: stripeSubscriptionId,
        customer: stripeCustomerId,
        subscriptionId,
        priceId: stripePriceId,
      }),
    );
    await deliver('checkout.session.completed', {
      id: `cs_test_${randomBytes(6).toString('hex')}`,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'complete',
      payment_status: 'paid',
      client_reference_id: subscriptionId,
      metadata: { subscriptionId, subdomain },
      customer: stripeCustomerId,
      subscription: stripeSubscriptionId,
    });
    const active = await waitFor(
      'an active instance',
      () => api<SubscriptionView>('GET', '/v1/subscription', { token: access }).then((r) => r.body),
      (v) => v.state === 'active' && v.instance?.state === 'active',
    );
    return { email, password, access, subdomain, origin: active.instance!.url, subscriptionId };
  }

  return { api, waitFor, mailTo, deliver, throughEdge, buyInstance };
}
