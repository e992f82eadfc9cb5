// Stripe's webhook endpoint (SPEC P5). Its own plugin scope, because the signature covers the exact bytes Stripe
// sent: here (and only here) bodies are kept as raw buffers instead of being parsed as JSON.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problem } from '../platform/problem.schema.ts';
import { WebhookHeaders, WebhookReceived } from './billing.schema.ts';
import { isDomainError } from '@photoplane/tenant-model';
import type { PortalMetrics } from '../platform/metrics.service.ts';
import type { StripeWebhookService } from './stripe-webhook.service.ts';

const stripeWebhookRoutes: FastifyPluginAsyncTypebox<{
  webhooks: StripeWebhookService;
  metrics?: PortalMetrics | undefined;
}> = async (app, { webhooks, metrics }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/stripe/webhook',
    {
      schema: {
        tags: ['billing'],
        summary: 'Stripe event deliveries (signed)',
        description:
          'Each event is a notification: accepted once (the subscription is then re-read from Stripe and applied ' +
          'in the background), a redelivery answers 200 with outcome "duplicate", an event about nothing of ours ' +
          '"ignored".',
        headers: WebhookHeaders,
        response: { 200: WebhookReceived, 400: problem('Missing or wrong signature: nothing was changed') },
      },
    },
    async (request) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let result: Awaited<ReturnType<StripeWebhookService['handleWebhook']>>;
      try {
        result = await webhooks.handleWebhook(body, request.headers['stripe-signature']);
      } catch (e) {
        if (isDomainError(e, 'validation')) metrics?.observeWebhook({ type: 'unknown', outcome: 'rejected' });
        throw e;
      }
      metrics?.observeWebhook(result);
      request.log.info(result, 'stripe webhook');
      return { received: true as const, outcome: result.outcome };
    },
  );
};

export default stripeWebhookRoutes;
