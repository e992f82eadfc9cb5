// The web portal (apps/web, a static single-page app built by Vite) served by the portal itself: one origin, so
// the session cookie and the Content-Security-Policy stay simple. Each page path answers index.html; the built
// assets are immutable (hashed names). Every answer carries a strict CSP: scripts and styles only from this origin,
// nothing inline, no framing.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export interface WebAppOptions {
  /** apps/web/dist: index.html and assets/. */
  distDir: string;
}

/** The app's pages (client-side routes); links e-mailed by the portal land on some of them. */
export const WEB_PAGES = [
  '/',
  '/signup',
  '/login',
  '/verify-email',
  '/forgot-password',
  '/reset-password',
  '/account',
  '/buy',
  '/test-checkout',
  '/checkout/success',
  '/checkout/cancelled',
  '/dashboard',
  '/members',
  '/staff',
];

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
}

const webAppRoutes: FastifyPluginAsync<WebAppOptions> = async (app, { distDir }) => {
  const indexFile = path.join(distDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    app.log.warn({ distDir }, 'the web app is not built (apps/web/dist missing): npm start builds it');
    return;
  }
  await app.register(fastifyStatic, {
    root: path.join(distDir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    immutable: true,
    maxAge: '365d',
    setHeaders: (reply) => {
      void reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    },
  });
  for (const page of WEB_PAGES) {
    app.get(page, { schema: { hide: true } }, async (_request, reply) => {
      secure(reply);
      // Read at each request: a rebuilt app is served without restarting the portal.
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(await fs.promises.readFile(indexFile));
    });
  }
  for (const file of ['favicon.svg']) {
    const full = path.join(distDir, file);
    if (!fs.existsSync(full)) continue;
    app.get(`/${file}`, { schema: { hide: true } }, async (_request, reply) => {
      secure(reply);
      return reply.type('image/svg+xml').send(await fs.promises.readFile(full));
    });
  }
};

export default webAppRoutes;
