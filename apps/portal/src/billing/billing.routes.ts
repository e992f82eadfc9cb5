// Plans, subdomains, checkout and the customer's subscription (SPEC P3, P4, P5, P9). Thin: each handler passes
// validated input to one service call.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problem } from '../platform/problem.schema.ts';
import {
  BillingPortal,
  CheckoutBody,
  CheckoutStarted,
  PlanList,
  SubdomainAvailability,
  SubdomainParams,
  SubscriptionView,
} from './billing.schema.ts';
import type { CheckoutService } from './checkout.service.ts';
import type { PlanService } from './plan.service.ts';
import type { SubscriptionService } from './subscription.service.ts';
import { sendRemembered } from '../platform/remembered-reply.ts';

export interface BillingRoutesOptions {
  plans: PlanService;
  checkout: CheckoutService;
  subscriptions: SubscriptionService;
}

const bearer = [{ bearerAuth: [] }];

const billingRoutes: FastifyPluginAsyncTypebox<BillingRoutesOptions> = async (
  app,
  { plans, checkout, subscriptions },
) => {
  app.get(
    '/v1/plans',
    { schema: { tags: ['billing'], summary: 'The plans on sale', response: { 200: PlanList } } },
    async () => ({ plans: plans.listPlans() }),
  );

  app.get(
    '/v1/subdomains/:name',
    {
      schema: {
        tags: ['billing'],
        summary: 'Whether a subdomain can be claimed, and if not why',
        description: 'Answers 200 for any name; an invalid or reserved one is simply not available.',
        params: SubdomainParams,
        response: { 200: SubdomainAvailability },
      },
    },
    async (request) => checkout.checkSubdomain(request.params.name),
  );

  app.post(
    '/v1/checkout',
    {
      schema: {
        tags: ['billing'],
        summary: 'Claim a subdomain and open a Stripe Checkout Session for a plan',
        description:
          'The subdomain is held until the session expires. Starting again for a name this account holds returns ' +
          'the same session.',
        security: bearer,
        body: CheckoutBody,
        response: {
          200: CheckoutStarted,
          400: problem('Unknown plan or invalid subdomain'),
          401: problem('Not signed in'),
          403: problem('The e-mail address is not confirmed yet'),
          409: problem('The subdomain is reserved or taken'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request) => {
      const started = await checkout.startCheckout(request.user.accountId, request.body);
      return { ...started, expiresAt: started.expiresAt.toISOString() };
    },
  );

  app.get(
    '/v1/subscription',
    {
      schema: {
        tags: ['billing'],
        summary: "The account's subscription: state, plan, instance and storage",
        security: bearer,
        response: { 200: SubscriptionView, 401: problem('Not signed in'), 404: problem('No subscription yet') },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const view = await subscriptions.getSubscription(request.user.accountId);
      return sendRemembered(reply, view, () => view);
    },
  );

  app.post(
    '/v1/billing-portal',
    {
      schema: {
        tags: ['billing'],
        summary: "A link to Stripe's customer portal (payment methods, invoices)",
        security: bearer,
        response: {
          200: BillingPortal,
          401: problem('Not signed in'),
          404: problem('No subscription yet'),
          409: problem('Checkout not completed yet'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request) => subscriptions.openBillingPortal(request.user.accountId),
  );
};

export default billingRoutes;
