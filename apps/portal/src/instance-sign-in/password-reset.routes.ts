// "Forgot password" at the instance's own address (issue 10): ask for a link by e-mail, then choose a new password
// from it. Both forms answer the same whether or not an address has an account, and both are rate-limited per
// client address by the app's public limiter, which answers these pages in HTML (formRoute); the service also bounds
// the links per member. So the form can be used neither to find out who has an account nor to flood anyone's inbox.
import type { FastifyPluginAsync } from 'fastify';
import { DomainError } from '@photoplane/tenant-model';
import { type OidcProviders, SIGN_IN_PREFIX } from './instance-providers.ts';
import { renderForgotPassword, renderForgotSent, renderMessage, renderResetPassword } from './pages.ts';
import type { MemberPasswordResetService } from '../members/member-password-reset.service.ts';
import { formRoute, formValue, hidden, notHere, page, PageError } from './shared.routes.ts';

export interface PasswordResetPagesOptions {
  providers: OidcProviders;
  passwordResets: MemberPasswordResetService;
}

const FORGOT = `${SIGN_IN_PREFIX}/forgot`;
const RESET = `${SIGN_IN_PREFIX}/reset`;

const passwordResetPages: FastifyPluginAsync<PasswordResetPagesOptions> = async (app, opts) => {
  const { providers, passwordResets } = opts;
  app.get(FORGOT, { schema: hidden }, async (request, reply) => {
    const instance = await providers.instanceFromHost(request.hostname);
    if (!instance) return notHere(reply, request);
    return page(
      reply,
      200,
      renderForgotPassword({ subdomain: instance.subdomain, action: FORGOT, origin: instance.origin }),
    );
  });

  app.post(FORGOT, formRoute, async (request, reply) => {
    const instance = await providers.instanceFromHost(request.hostname);
    if (!instance) return notHere(reply, request);
    const email = formValue(request.body, 'email', 320).trim();
    const again = (status: number, error: string) =>
      page(
        reply,
        status,
        renderForgotPassword({ subdomain: instance.subdomain, action: FORGOT, origin: instance.origin, email, error }),
      );
    if (!email.includes('@')) return again(400, 'Enter the e-mail address you sign in with.');
    await passwordResets.requestReset({ subdomain: instance.subdomain, email });
    return page(reply, 200, renderForgotSent({ subdomain: instance.subdomain, origin: instance.origin }));
  });

  app.get(RESET, { schema: hidden }, async (request, reply) => {
    const instance = await providers.instanceFromHost(request.hostname);
    if (!instance) return notHere(reply, request);
    return page(reply, 200, renderResetPassword({ subdomain: instance.subdomain, action: RESET, forgotUrl: FORGOT }));
  });

  app.post(RESET, formRoute, async (request, reply) => {
    const instance = await providers.instanceFromHost(request.hostname);
    if (!instance) return notHere(reply, request);
    const token = formValue(request.body, 'token', 512);
    const password = formValue(request.body, 'password', 512);
    try {
      if (!token) throw new PageError('This page needs the link from the e-mail; open that link again.', 'token');
      if (password !== formValue(request.body, 'confirmPassword', 512))
        throw new PageError('The two passwords differ.', 'confirmPassword');
      await passwordResets.resetPassword({ subdomain: instance.subdomain, token, password });
    } catch (e) {
      if (!(e instanceof PageError) && !(e instanceof DomainError)) throw e;
      const field = e instanceof PageError ? e.field : e.details?.field;
      const status = (e instanceof PageError ? e.status : undefined) ?? (field === 'token' ? 410 : 400);
      return page(
        reply,
        status,
        renderResetPassword({
          subdomain: instance.subdomain,
          action: RESET,
          forgotUrl: FORGOT,
          token: field === 'token' ? undefined : token,
          error: e.message,
          field,
        }),
      );
    }
    return page(
      reply,
      200,
      renderMessage({
        subdomain: instance.subdomain,
        title: 'Password changed',
        message: 'Your new password is set, and you are signed out on every device. Sign in with the new password.',
        origin: instance.origin,
      }),
    );
  });
};

export default passwordResetPages;
