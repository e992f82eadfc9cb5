// The member's account page at `https://<sub>.<domain>/photoplane/account` (SPEC U1-U6). Who is asking is the
// instance's OpenID provider session (the one the photo app's sign-in made): not signed in, the page starts a
// sign-in with the account client and comes back. Each form posts one change with the page's CSRF token (bound to
// the sign-in), then redirects back with a notice; a refused change re-renders the page with the message next to
// the field. Everything acts on the signed-in member only, through the same services as the API's /me routes.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { DomainError } from '@photoplane/tenant-model';
import { type AccountPageInput, type AccountSection, renderAccountPage } from './account-pages.ts';
import { ACCOUNT_PATH, type OidcInstance, type OidcProviders, SIGN_IN_PREFIX } from './instance-providers.ts';
import { renderMessage } from './pages.ts';
import type { MemberAccountService } from '../members/member-account.service.ts';
import type { MemberAuthService, MemberPrincipal } from '../members/member-auth.service.ts';
import { TooManyAttemptsError } from '../platform/login-throttle.ts';
import { formValue, hidden, notHere, page, PageError, signedInRoute } from './shared.routes.ts';

export interface AccountPagesOptions {
  providers: OidcProviders;
  memberAuth: MemberAuthService;
  memberAccount: MemberAccountService;
  secretKey: string;
  portalUrl: string;
}

interface Signed {
  instance: OidcInstance;
  principal: MemberPrincipal;
}

/** What a redirect after a change says; only these keys, so the query string cannot put text on the page. */
const NOTICES: Record<string, string> = {
  profile: 'Your name is saved.',
  password: 'Your password is changed. Your other devices are signed out.',
  'two-factor-on': 'Two-factor authentication is on.',
  'two-factor-off': 'Two-factor authentication is off.',
  'device-revoked': 'That device is signed out.',
  'api-key-deleted': 'The key is deleted; it no longer works.',
  preferences: 'Your preferences are saved.',
};

const PREFERENCE_FLAGS = [
  'displayOriginalPhotos',
  'playVideoOnHover',
  'permanentDeletionWarning',
  'memories',
  'peopleLink',
  'sharingLink',
] as const;

const accountPages: FastifyPluginAsync<AccountPagesOptions> = async (app, opts) => {
  const { providers, memberAccount, memberAuth } = opts;
  const csrfKey = createHmac('sha256', opts.secretKey).update('photoplane/account-csrf/v1').digest();
  const csrfFor = (principal: MemberPrincipal) =>
    createHmac('sha256', csrfKey).update(`${principal.instanceId}:${principal.sessionId}`).digest('base64url');

  function csrfValid(request: FastifyRequest, principal: MemberPrincipal): boolean {
    const given = Buffer.from(formValue(request.body, 'csrf', 100));
    const expected = Buffer.from(csrfFor(principal));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The signed-in member of this instance, or null after answering (not here, sign in first, stale form). */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Signed | null> {
    const instance = await providers.instanceFromHost(request.hostname);
    if (!instance) {
      await notHere(reply, request);
      return null;
    }
    const principal = await providers.signedIn(instance, request.raw, reply.raw);
    if (!principal) {
      if (request.method === 'GET') {
        const query = request.query as { error?: string };
        if (query.error) {
          await page(
            reply,
            401,
            renderMessage({
              subdomain: instance.subdomain,
              title: 'Not signed in',
              message: 'Signing in did not finish. Open your account again to try once more.',
              origin: instance.origin,
            }),
          );
          return null;
        }
        await reply.redirect(providers.accountSignInUrl(instance, randomBytes(16).toString('base64url')), 303);
      } else {
        await reply.redirect(ACCOUNT_PATH, 303);
      }
      return null;
    }
    if (request.method === 'POST' && !csrfValid(request, principal)) {
      await page(
        reply,
        403,
        renderMessage({
          subdomain: instance.subdomain,
          title: 'This form has expired',
          message: 'Open your account page again and repeat the change.',
          origin: instance.origin,
        }),
      );
      return null;
    }
    return { instance, principal };
  }

  async function render(
    reply: FastifyReply,
    status: number,
    { instance, principal }: Signed,
    extra: Partial<AccountPageInput> = {},
  ) {
    const [account, devices, apiKeys, preferences, twoFactor] = await Promise.all([
      memberAccount.getAccount(principal, instance.subdomain),
      memberAccount.listDevices(principal),
      memberAccount.listApiKeys(principal),
      memberAccount.getPreferences(principal),
      memberAccount.getTwoFactor(principal),
    ]);
    return page(
      reply,
      status,
      renderAccountPage({
        subdomain: instance.subdomain,
        origin: instance.origin,
        portalUrl: opts.portalUrl,
        base: ACCOUNT_PATH,
        signOutUrl: `${SIGN_IN_PREFIX}/session/end`,
        csrf: csrfFor(principal),
        account,
        devices,
        apiKeys,
        preferences,
        twoFactor,
        ...extra,
      }),
    );
  }

  const done = (reply: FastifyReply, notice: keyof typeof NOTICES, section: AccountSection) =>
    reply.redirect(`${ACCOUNT_PATH}?done=${notice}#${section}`, 303);

  /** One change: the member's own, applied whole or refused with the message where it belongs. */
  function change(
    section: AccountSection,
    act: (signed: Signed, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    keep: (body: unknown) => Record<string, string> = () => ({}),
  ) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const signed = await signedIn(request, reply);
      if (!signed) return reply;
      try {
        return await act(signed, request, reply);
      } catch (e) {
        if (e instanceof TooManyAttemptsError) {
          // The per-member guess limit (the JSON account API's): the page again, the message in its section.
          return render(reply, 429, signed, { error: { section, message: e.message }, values: keep(request.body) });
        }
        if (!(e instanceof PageError) && !(e instanceof DomainError)) throw e;
        if (e instanceof DomainError && e.code === 'unauthenticated' && section !== 'password') {
          return reply.redirect(ACCOUNT_PATH, 303);
        }
        const named = e instanceof PageError ? e.field : e.details?.field;
        // An id or the whole feature is named by the section's own message box, not a field.
        const field = named === 'twoFactor' || named?.endsWith('Id') ? undefined : named;
        const status = e instanceof DomainError && e.code === 'not_found' ? 404 : 400;
        return render(reply, status, signed, {
          error: { section, message: e.message, field },
          values: keep(request.body),
        });
      }
    };
  }

  app.get(ACCOUNT_PATH, { schema: hidden }, async (request, reply) => {
    const signed = await signedIn(request, reply);
    if (!signed) return reply;
    const key = (request.query as { done?: string }).done;
    return render(reply, 200, signed, { notice: key ? NOTICES[key] : undefined });
  });

  app.post(
    `${ACCOUNT_PATH}/profile`,
    signedInRoute,
    change(
      'profile',
      async ({ instance, principal }, request, reply) => {
        await memberAccount.updateAccount(principal, instance.subdomain, {
          name: formValue(request.body, 'name', 200),
        });
        return done(reply, 'profile', 'profile');
      },
      (body) => ({ name: formValue(body, 'name', 200) }),
    ),
  );

  app.post(
    `${ACCOUNT_PATH}/password`,
    signedInRoute,
    change('password', async ({ principal }, request, reply) => {
      await app.limitMemberGuesses(request, reply, principal.memberId);
      const newPassword = formValue(request.body, 'newPassword', 512);
      if (newPassword !== formValue(request.body, 'confirmPassword', 512))
        throw new PageError('The two passwords differ.', 'confirmPassword');
      await memberAuth.changePassword(principal, {
        currentPassword: formValue(request.body, 'currentPassword', 512),
        newPassword,
        clientIp: request.ip,
      });
      return done(reply, 'password', 'password');
    }),
  );

  app.post(
    `${ACCOUNT_PATH}/two-factor/start`,
    signedInRoute,
    change('two-factor', async (signed, _request, reply) => {
      const { secret, otpauthUri } = await memberAccount.enrolTwoFactor(signed.principal, signed.instance.subdomain);
      const qrDataUri = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 1, width: 192 });
      return render(reply, 200, signed, { enrolment: { secret, qrDataUri } });
    }),
  );

  app.post(
    `${ACCOUNT_PATH}/two-factor/confirm`,
    signedInRoute,
    change('two-factor', async ({ principal }, request, reply) => {
      await app.limitMemberGuesses(request, reply, principal.memberId);
      await memberAccount.confirmTwoFactor(principal, formValue(request.body, 'code', 16).replaceAll(' ', ''));
      return done(reply, 'two-factor-on', 'two-factor');
    }),
  );

  app.post(
    `${ACCOUNT_PATH}/two-factor/disable`,
    signedInRoute,
    change('two-factor', async ({ principal }, request, reply) => {
      await app.limitMemberGuesses(request, reply, principal.memberId);
      await memberAccount.disableTwoFactor(principal, formValue(request.body, 'code', 16).replaceAll(' ', ''));
      return done(reply, 'two-factor-off', 'two-factor');
    }),
  );

  app.post<{ Params: { id: string } }>(
    `${ACCOUNT_PATH}/devices/:id/revoke`,
    signedInRoute,
    change('devices', async ({ principal }, request, reply) => {
      const id = (request.params as { id: string }).id;
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new PageError('There is no such device.');
      await memberAccount.revokeDevice(principal, id);
      return done(reply, 'device-revoked', 'devices');
    }),
  );

  app.post(
    `${ACCOUNT_PATH}/api-keys`,
    signedInRoute,
    change(
      'api-keys',
      async (signed, request, reply) => {
        const created = await memberAccount.createApiKey(signed.principal, {
          name: formValue(request.body, 'name', 100),
        });
        return render(reply, 201, signed, { newApiKey: { name: created.apiKey.name, secret: created.secret } });
      },
      (body) => ({ keyName: formValue(body, 'name', 100) }),
    ),
  );

  app.post<{ Params: { id: string } }>(
    `${ACCOUNT_PATH}/api-keys/:id/delete`,
    signedInRoute,
    change('api-keys', async ({ principal }, request, reply) => {
      const id = (request.params as { id: string }).id;
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new PageError('There is no such key.');
      await memberAccount.deleteApiKey(principal, id);
      return done(reply, 'api-key-deleted', 'api-keys');
    }),
  );

  app.post(
    `${ACCOUNT_PATH}/preferences`,
    signedInRoute,
    change(
      'preferences',
      async ({ principal }, request, reply) => {
        const theme = formValue(request.body, 'theme', 10);
        if (theme !== 'system' && theme !== 'light' && theme !== 'dark')
          throw new PageError('Choose system, light or dark.', 'theme');
        const locale = formValue(request.body, 'locale', 35).trim();
        const flags = Object.fromEntries(
          PREFERENCE_FLAGS.map((name) => [name, formValue(request.body, name, 3) === 'on']),
        );
        await memberAccount.updatePreferences(principal, { theme, locale: locale || null, ...flags });
        return done(reply, 'preferences', 'preferences');
      },
      (body) => ({ locale: formValue(body, 'locale', 35) }),
    ),
  );
};

export default accountPages;
