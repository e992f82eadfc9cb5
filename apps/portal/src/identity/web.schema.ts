// Bodies of the web portal's own routes: the cookie session and the test-mode checkout.
import { Type } from '@fastify/type-provider-typebox';
import { Me } from './auth.schema.ts';

const closed = { additionalProperties: false } as const;

export const WebSession = Type.Object(
  {
    signedIn: Type.Boolean(),
    /** A refresh cookie is there: the page may trade it for a new access cookie. */
    refreshable: Type.Boolean(),
    account: Type.Union([Me, Type.Null()]),
    /**
     * Stripe is stripe-mock (`npm start`, tests): checkout goes to the portal's own test-mode payment page, and
     * plan changes and cancellations are made there too. False with a real Stripe key.
     */
    testCheckout: Type.Boolean(),
    /** Instances answer at <subdomain>.<domain>. */
    domain: Type.String(),
  },
  closed,
);

export const WebSessionStarted = Type.Object({ expiresIn: Type.Integer() }, closed);

export const TestCheckoutParams = Type.Object({ subscriptionId: Type.String({ format: 'uuid' }) }, closed);

export const TestCheckoutView = Type.Object(
  {
    subscriptionId: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    subdomain: Type.String(),
    state: Type.String(),
    plan: Type.Object(
      {
        id: Type.String(),
        name: Type.String(),
        storageGib: Type.Integer(),
        priceCents: Type.Integer(),
        currency: Type.String(),
      },
      closed,
    ),
    /** Already paid: the page sends the customer on to the return page. */
    paid: Type.Boolean(),
  },
  closed,
);

export const TestCheckoutPayBody = Type.Object(
  {
    cardNumber: Type.String({ minLength: 12, maxLength: 23, description: 'A test card number (spaces allowed)' }),
    expiry: Type.String({ pattern: '^(0[1-9]|1[0-2]) ?/ ?[0-9]{2}$', description: 'MM / YY' }),
    cvc: Type.String({ pattern: '^[0-9]{3,4}$' }),
    cardholder: Type.String({ minLength: 1, maxLength: 100 }),
  },
  closed,
);

export const TestCheckoutPaid = Type.Object(
  {
    outcome: Type.Union([Type.Literal('paid'), Type.Literal('paid_then_failed')]),
    events: Type.Array(Type.String(), { description: 'The Stripe events delivered to the webhook, in order' }),
    returnUrl: Type.String(),
  },
  closed,
);

export const TestSubscriptionChangeBody = Type.Object(
  {
    planId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    cancelAtPeriodEnd: Type.Optional(Type.Boolean()),
    /** Simulates the next renewal: its payment fails (past due) or succeeds. */
    renewal: Type.Optional(Type.Union([Type.Literal('fails'), Type.Literal('succeeds')])),
  },
  closed,
);

export const TestEventsSent = Type.Object({ events: Type.Array(Type.String()) }, closed);
