// The pages at `https://<sub>.<domain>/photoplane/…` (SPEC I1, M2, M3, U6): the edge sends this prefix of every
// instance host to the portal. Sign-in (password, then the TOTP code once two-factor is on, then a forced password
// change where one is due) finishes the OpenID provider's interaction; registration completes an invitation; every
// other path under the prefix is the instance's OpenID provider itself. Plain HTML forms: a wrong password
// re-renders the page with the message next to the field, never a JSON error.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, normaliseEmail } from '@photoplane/tenant-model';
import { accountClientId, type OidcInstance, type OidcProviders, SIGN_IN_PREFIX } from './instance-providers.ts';
import {
  REGISTER_JS,
  renderCode,
  renderMessage,
  renderNewPassword,
  renderRegister,
  renderRegistered,
  renderSignIn,
  SIGN_IN_CSS,
} from './pages.ts';
import { createSignInLimiter, type LoginRateLimit } from '../platform/login-throttle.ts';
import type { InvitationService } from '../members/invitation.service.ts';
import type { MemberAccountService } from '../members/member-account.service.ts';
import type { MemberAuthService, PasswordChecked } from '../members/member-auth.service.ts';
import type { MemberPasswordResetService } from '../members/member-password-reset.service.ts';
import accountPages from './account.routes.ts';
import passwordResetPages from './password-reset.routes.ts';
import { formRoute, formValue, hidden, page, PageError, notHere } from './shared.routes.ts';

export interface InstanceSignInOptions {
  providers: OidcProviders;
  memberAuth: MemberAuthService;
  invitations: InvitationService;
  /** OIDC_SECRET_KEY: signs the proofs handed from one sign-in step to the next. */
  secretKey: string;
  loginRateLimit: LoginRateLimit;
  memberAccount: MemberAccountService;
  passwordResets: MemberPasswordResetService;
  /** The portal's own address, for the owner (whose password is their portal account's). */
  portalUrl: string;
}

/** What one step proved, carried to the next in a signed, short-lived hidden field bound to the interaction. */
interface Proof extends PasswordChecked {
  interactionUid: string;
  /** `password`: the code is still due; `verified`: every factor passed, only the new password is due. */
  stage: 'password' | 'verified';
  amr: string[];
  expiresAt: number;
}

const PROOF_TTL_MS = 10 * 60_000;

const instanceSignInRoutes: FastifyPluginAsync<InstanceSignInOptions> = async (app, opts) => {
  const { providers, memberAuth, invitations } = opts;
  const proofKey = createHmac('sha256', opts.secretKey).update('photoplane/oidc-sign-in-proof/v1').digest();

  // Forms post url-encoded bodies; only in this part of the app.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  // Per address, per (address, account) and, only delaying, per account: see platform/login-throttle.ts.
  const loginLimiter = createSignInLimiter(app, opts.loginRateLimit, {
    address: (r) => `oidc-login-ip:${r.ip}`,
    account: (r) => `oidc-login-email:${r.hostname.toLowerCase()}:${normaliseEmail(formValue(r.body, 'email', 320))}`,
  });
  const codeLimiter = app.createRateLimit({
    max: opts.loginRateLimit.max,
    timeWindow: opts.loginRateLimit.timeWindowMs,
    keyGenerator: (r) => `oidc-code:${readProof(r)?.memberId ?? r.ip}`,
  });

  async function codeThrottled(request: FastifyRequest): Promise<number | null> {
    const result = await codeLimiter(request);
    return !result.isAllowed && result.isExceeded ? result.ttlInSeconds : null;
  }

  function sign(proof: Proof): string {
    const body = Buffer.from(JSON.stringify(proof)).toString('base64url');
    return `${body}.${createHmac('sha256', proofKey).update(body).digest('base64url')}`;
  }

  function readProof(request: FastifyRequest): Proof | null {
    const [body, mac] = formValue(request.body, 'proof', 4096).split('.');
    if (!body || !mac) return null;
    const expected = createHmac('sha256', proofKey).update(body).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const proof = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Proof;
    const uid = (request.params as { uid?: string }).uid;
    return proof.interactionUid === uid && proof.expiresAt > Date.now() ? proof : null;
  }

  async function instanceOf(request: FastifyRequest): Promise<OidcInstance | null> {
    return providers.instanceFromHost(request.hostname);
  }

  /** The provider's interaction this page belongs to, for this instance's client only. */
  async function interactionOf(request: FastifyRequest, reply: FastifyReply, instance: OidcInstance) {
    const provider = await providers.providerFor(instance);
    try {
      const details = await provider.interactionDetails(request.raw, reply.raw);
      const client = details.params.client_id;
      if (client !== instance.id && client !== accountClientId(instance.id)) return null;
      return { provider, details };
    } catch {
      return null; // expired, or the interaction cookie is missing (another browser, or a stale tab)
    }
  }

  const expired = (reply: FastifyReply, instance: OidcInstance) =>
    page(
      reply,
      400,
      renderMessage({
        subdomain: instance.subdomain,
        title: 'This sign-in has expired',
        message: 'Go back to the photo library and sign in again.',
        origin: instance.origin,
      }),
    );

  /** Every factor passed: the provider takes over (it redirects back to the photo app with a code). */
  async function finish(request: FastifyRequest, reply: FastifyReply, instance: OidcInstance, proof: Proof) {
    const provider = await providers.providerFor(instance);
    await memberAuth.recordSignIn(proof, request.ip);
    reply.hijack();
    await provider.interactionFinished(
      request.raw,
      reply.raw,
      { login: { accountId: proof.memberId, amr: proof.amr, remember: true } },
      { mergeWithLastSubmission: false },
    );
  }

  const forgotUrl = `${SIGN_IN_PREFIX}/forgot`;
  const action = (uid: string, step: string) => `${SIGN_IN_PREFIX}/interaction/${encodeURIComponent(uid)}/${step}`;
  const newProof = (checked: PasswordChecked, uid: string, stage: Proof['stage'], amr: string[]): string =>
    sign({ ...checked, interactionUid: uid, stage, amr, expiresAt: Date.now() + PROOF_TTL_MS });

  /** After the factors: a forced password change (M3, M6) if one is due, else done. */
  async function afterFactors(
    request: FastifyRequest,
    reply: FastifyReply,
    instance: OidcInstance,
    checked: PasswordChecked,
    uid: string,
    amr: string[],
  ) {
    if (checked.mustChangePassword) {
      return page(
        reply,
        200,
        renderNewPassword({
          subdomain: instance.subdomain,
          action: action(uid, 'new-password'),
          proof: newProof(checked, uid, 'verified', amr),
          reason: 'Your password was set by an administrator. Choose your own before you continue.',
        }),
      );
    }
    return finish(request, reply, instance, { ...checked, interactionUid: uid, stage: 'verified', amr, expiresAt: 0 });
  }

  app.get(`${SIGN_IN_PREFIX}/assets/sign-in.css`, { schema: hidden }, async (_request, reply) =>
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(SIGN_IN_CSS),
  );
  app.get(`${SIGN_IN_PREFIX}/assets/register.js`, { schema: hidden }, async (_request, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(REGISTER_JS),
  );

  app.get<{ Params: { uid: string } }>(
    `${SIGN_IN_PREFIX}/interaction/:uid`,
    { schema: hidden },
    async (request, reply) => {
      const instance = await instanceOf(request);
      if (!instance) return notHere(reply, request);
      const found = await interactionOf(request, reply, instance);
      if (!found) return expired(reply, instance);
      const hint = found.details.params.login_hint;
      return page(
        reply,
        200,
        renderSignIn({
          subdomain: instance.subdomain,
          action: action(request.params.uid, 'password'),
          forgotUrl,
          email: typeof hint === 'string' ? hint : undefined,
        }),
      );
    },
  );

  app.post<{ Params: { uid: string } }>(
    `${SIGN_IN_PREFIX}/interaction/:uid/password`,
    formRoute,
    async (request, reply) => {
      const instance = await instanceOf(request);
      if (!instance) return notHere(reply, request);
      if (!(await interactionOf(request, reply, instance))) return expired(reply, instance);
      const uid = request.params.uid;
      const email = formValue(request.body, 'email', 320);
      const signInPage = (status: number, error: string) =>
        page(
          reply,
          status,
          renderSignIn({ subdomain: instance.subdomain, action: action(uid, 'password'), forgotUrl, email, error }),
        );
      const wait = await loginLimiter(request);
      if (wait !== null) {
        await memberAuth.recordThrottledLogin({ subdomain: instance.subdomain, email, clientIp: request.ip });
        reply.header('retry-after', String(wait));
        return signInPage(429, `Too many sign-in attempts; try again in ${wait} seconds.`);
      }
      let checked: PasswordChecked;
      try {
        checked = await memberAuth.verifyPassword({
          subdomain: instance.subdomain,
          email,
          password: formValue(request.body, 'password'),
          clientIp: request.ip,
        });
      } catch (e) {
        if (e instanceof DomainError) return signInPage(401, e.message);
        throw e;
      }
      if (checked.twoFactor) {
        return page(
          reply,
          200,
          renderCode({
            subdomain: instance.subdomain,
            action: action(uid, 'code'),
            proof: newProof(checked, uid, 'password', ['pwd']),
          }),
        );
      }
      return afterFactors(request, reply, instance, checked, uid, ['pwd']);
    },
  );

  app.post<{ Params: { uid: string } }>(
    `${SIGN_IN_PREFIX}/interaction/:uid/code`,
    formRoute,
    async (request, reply) => {
      const instance = await instanceOf(request);
      if (!instance) return notHere(reply, request);
      const proof = readProof(request);
      if (!proof || proof.stage !== 'password' || proof.instanceId !== instance.id) return expired(reply, instance);
      if (!(await interactionOf(request, reply, instance))) return expired(reply, instance);
      const uid = request.params.uid;
      const codePage = (status: number, error: string) =>
        page(
          reply,
          status,
          renderCode({ subdomain: instance.subdomain, action: action(uid, 'code'), proof: sign(proof), error }),
        );
      const wait = await codeThrottled(request);
      if (wait !== null) {
        reply.header('retry-after', String(wait));
        return codePage(429, `Too many tries; try again in ${wait} seconds.`);
      }
      try {
        await memberAuth.verifySecondFactor(proof, formValue(request.body, 'code', 16).replaceAll(' ', ''), request.ip);
      } catch (e) {
        if (e instanceof DomainError) return codePage(401, 'The code is wrong, expired or already used.');
        throw e;
      }
      return afterFactors(request, reply, instance, proof, uid, ['pwd', 'otp']);
    },
  );

  app.post<{ Params: { uid: string } }>(
    `${SIGN_IN_PREFIX}/interaction/:uid/new-password`,
    formRoute,
    async (request, reply) => {
      const instance = await instanceOf(request);
      if (!instance) return notHere(reply, request);
      const proof = readProof(request);
      if (!proof || proof.stage !== 'verified' || proof.instanceId !== instance.id) return expired(reply, instance);
      if (!(await interactionOf(request, reply, instance))) return expired(reply, instance);
      const newPassword = formValue(request.body, 'newPassword', 512);
      try {
        if (newPassword !== formValue(request.body, 'confirmPassword', 512))
          throw new PageError('The two passwords differ.', 'confirmPassword');
        await memberAuth.replaceMustChangePassword(proof, newPassword);
      } catch (e) {
        if (!(e instanceof PageError) && !(e instanceof DomainError)) throw e;
        return page(
          reply,
          400,
          renderNewPassword({
            subdomain: instance.subdomain,
            action: action(request.params.uid, 'new-password'),
            proof: sign(proof),
            reason: 'Your password was set by an administrator. Choose your own before you continue.',
            error: e.message,
            field: e instanceof PageError ? e.field : (e.details?.field ?? 'newPassword'),
          }),
        );
      }
      return finish(request, reply, instance, proof);
    },
  );

  app.get(`${SIGN_IN_PREFIX}/register`, { schema: hidden }, async (request, reply) => {
    const instance = await instanceOf(request);
    if (!instance) return notHere(reply, request);
    return page(reply, 200, renderRegister({ subdomain: instance.subdomain, action: `${SIGN_IN_PREFIX}/register` }));
  });

  app.post(`${SIGN_IN_PREFIX}/register`, formRoute, async (request, reply) => {
    const instance = await instanceOf(request);
    if (!instance) return notHere(reply, request);
    const token = formValue(request.body, 'token', 512);
    const password = formValue(request.body, 'password', 512);
    try {
      if (!token) throw new PageError('This page needs the link from your invitation e-mail; open that link again.');
      if (password !== formValue(request.body, 'confirmPassword', 512))
        throw new PageError('The two passwords differ.', 'confirmPassword');
      await invitations.register({ subdomain: instance.subdomain, token, password });
    } catch (e) {
      if (!(e instanceof PageError) && !(e instanceof DomainError)) throw e;
      const field = e instanceof PageError ? e.field : e.details?.field;
      return page(
        reply,
        field === 'password' || field === 'confirmPassword' ? 400 : 410,
        renderRegister({
          subdomain: instance.subdomain,
          action: `${SIGN_IN_PREFIX}/register`,
          token: field === 'token' ? undefined : token,
          error: e.message,
          field,
        }),
      );
    }
    return page(reply, 200, renderRegistered({ subdomain: instance.subdomain, origin: instance.origin }));
  });

  await app.register(accountPages, {
    providers,
    memberAuth,
    memberAccount: opts.memberAccount,
    secretKey: opts.secretKey,
    portalUrl: opts.portalUrl,
  });
  await app.register(passwordResetPages, {
    providers,
    passwordResets: opts.passwordResets,
  });

  // Everything else under the prefix is the instance's OpenID provider (discovery, authorize, token, JWKS,
  // userinfo, end session). Handed over before fastify reads the body: the provider parses its own requests.
  app.route({
    method: ['GET', 'POST', 'HEAD', 'OPTIONS'],
    url: `${SIGN_IN_PREFIX}/*`,
    schema: hidden,
    onRequest: async (request, reply) => {
      const instance = await instanceOf(request);
      if (!instance) {
        await notHere(reply, request);
        return reply;
      }
      const provider = await providers.providerFor(instance);
      reply.hijack();
      // As when mounted in Express: the provider sees its own path in `url` and learns its mount point from
      // `originalUrl` (it builds every URL it hands out from that).
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      raw.originalUrl = raw.url;
      raw.url = raw.url!.slice(SIGN_IN_PREFIX.length) || '/';
      await provider.callback()(request.raw, reply.raw);
      return reply;
    },
    handler: async () => undefined,
  });
};

export default instanceSignInRoutes;
