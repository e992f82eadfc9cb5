// What the pages at `https://<sub>.<domain>/photoplane/…` share: form fields read defensively, the page reply with
// its strict headers, and the one error a form step raises to re-render itself with a message next to a field.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PAGE_CSP } from './instance-providers.ts';
import { renderMessage } from './pages.ts';

export const hidden = { hide: true } as const;

/**
 * Options of a public form page: hidden from the OpenAPI document, counted by the app's one public limiter (app.ts),
 * whose refusal (429, or 503 from a full hashing queue) this page answers in HTML with Retry-After.
 */
export const formRoute = {
  schema: hidden,
  config: {
    formPage: (request: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
      page(
        reply,
        status,
        renderMessage({
          subdomain: request.hostname,
          title: status === 429 ? 'Too many requests' : 'Busy right now',
          message,
        }),
      ),
  },
};

/** Options of a signed-in page (the member's account): not limited as public; see app.ts. */
export const signedInRoute = { schema: hidden, config: { signedIn: true, formPage: formRoute.config.formPage } };

export class PageError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    /** The page's status when it is not the form's usual 400 (429 for a throttled form). */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A form field as a string; anything missing, repeated or too long reads as empty. */
export function formValue(body: unknown, name: string, max = 1024): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || value.length > max) return '';
  return value;
}

export function page(reply: FastifyReply, status: number, html: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(html);
}

export const notHere = (reply: FastifyReply, request: FastifyRequest) =>
  page(
    reply,
    404,
    renderMessage({
      subdomain: request.hostname,
      title: 'No photo library here',
      message: 'There is no photo library at this address, or it is not available right now.',
    }),
  );
