// The test-mode checkout's API (billing/test-checkout.service.ts): mounted only when the portal talks to
// stripe-mock. Its events go through the real webhook endpoint (app.inject: the same route, signature check and
// all, without leaving the process).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NoContent, problem } from '../platform/problem.schema.ts';
import {
  TestCheckoutParams,
  TestCheckoutPaid,
  TestCheckoutPayBody,
  TestCheckoutView,
  TestEventsSent,
  TestSubscriptionChangeBody,
} from '../identity/web.schema.ts';
import type { DeliverWebhook, TestCheckoutService } from './test-checkout.service.ts';

const bearer = [{ bearerAuth: [] }];

const testCheckoutRoutes: FastifyPluginAsyncTypebox<{ testCheckout: TestCheckoutService }> = async (
  app,
  { testCheckout },
) => {
  const deliver: DeliverWebhook = async (payload, signature) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
    });
    return { status: res.statusCode, body: res.body };
  };

  app.get(
    '/v1/test-checkout/:subscriptionId',
    {
      schema: {
        tags: ['test mode'],
        summary: 'Test mode only (stripe-mock): what the test payment page shows',
        security: bearer,
        params: TestCheckoutParams,
        response: { 200: TestCheckoutView, 401: problem('Not signed in'), 404: problem('No such checkout') },
      },
      onRequest: app.authenticate,
    },
    async (request) => testCheckout.getCheckout(request.user.accountId, request.params.subscriptionId),
  );

  app.post(
    '/v1/test-checkout/:subscriptionId/pay',
    {
      schema: {
        tags: ['test mode'],
        summary: 'Test mode only: pay with a test card; sends the events Stripe would send, signed, to the webhook',
        description:
          '4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined (nothing is sent); 4000 0000 0000 0341 pays, ' +
          'then its renewal fails (past due).',
        security: bearer,
        params: TestCheckoutParams,
        body: TestCheckoutPayBody,
        response: {
          200: TestCheckoutPaid,
          400: problem('Invalid or declined card'),
          401: problem('Not signed in'),
          404: problem('No such checkout'),
          409: problem('Already paid'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request) => ({
      ...(await testCheckout.pay(request.user.accountId, request.params.subscriptionId, request.body, deliver)),
      returnUrl: '/checkout/success',
    }),
  );

  app.post(
    '/v1/test-checkout/subscription',
    {
      schema: {
        tags: ['test mode'],
        summary: "Test mode only: what Stripe's customer portal or a renewal would send (plan change, cancel, …)",
        security: bearer,
        body: TestSubscriptionChangeBody,
        response: {
          200: TestEventsSent,
          204: NoContent,
          400: problem('Unknown plan, or not exactly one change'),
          401: problem('Not signed in'),
          404: problem('No subscription'),
          409: problem('Checkout not completed yet'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request) => testCheckout.changeSubscription(request.user.accountId, request.body, deliver),
  );
};

export default testCheckoutRoutes;
