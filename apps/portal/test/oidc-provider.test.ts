// SPEC I1 at the protocol level: each instance's OpenID provider, driven by an independent relying party
// (openid-client) and by HTTP requests shaped like a browser's (cookies, redirects, the sign-in forms), through a
// small edge that routes `/photoplane` to the portal and the rest of the host to a recorder standing in for the
// photo app's back-channel logout endpoint. Against a real PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { loopbackAwareFetch } from '../src/instance-sign-in/loopback-fetch.ts';
import { createPasswordService } from '../src/platform/password.service.ts';
import { createSecretBox } from '../src/platform/secret-box.ts';
import { totpCode, totpStep, generateTotpSecret } from '../src/platform/totp.ts';
import { GIB, instanceOwnedBy, startHarness, unique, type Harness } from './members-harness.ts';

const DOMAIN = 'photos.localhost';
/** openid-client's error for an OAuth error answer, matched on the server's error code. */
const oauthError = (code: string) => (e: unknown) => (e as { cause?: { error?: string } }).cause?.error === code;
const recorder = { syncMember: async () => undefined, applyPhotoAppConfig: async () => undefined };

let h: Harness;
let edge: http.Server;
let origin: (subdomain: string) => string;
const logouts: { host: string; token: string }[] = [];
let portalPort = 0;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

before(async () => {
  edge = http.createServer((req, res) => {
    if (req.url?.startsWith('/photoplane')) {
      const upstream = http.request(
        { host: '127.0.0.1', port: portalPort, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.rawHeaders);
          up.pipe(res);
        },
      );
      req.pipe(upstream);
      return;
    }
    if (req.method === 'POST' && req.url === '/api/oauth/backchannel-logout') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        logouts.push({ host: req.headers.host ?? '', token: new URLSearchParams(body).get('logout_token') ?? '' });
        res.writeHead(200).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  const edgePort = await listen(edge);
  origin = (subdomain) => `http://${subdomain}.${DOMAIN}:${edgePort}`;
  h = await startHarness(recorder, undefined, {
    signIn: {
      instanceUrlTemplate: `http://{subdomain}.${DOMAIN}:${edgePort}`,
      domain: DOMAIN,
      clientSecretKey: randomBytes(32).toString('base64url'),
    },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  portalPort = (h.app.server.address() as AddressInfo).port;
});

after(async () => {
  await h.close();
  edge.close();
});

interface Instance {
  id: string;
  subdomain: string;
  ownerEmail: string;
  ownerPassword: string;
  /** The owner's portal access token, for the owner's member routes. */
  ownerToken: string;
}

async function newInstance(planGib = 10): Promise<Instance> {
  const made = await instanceOwnedBy(h, { planGib, subdomain: unique('site') });
  return {
    id: made.instance.id,
    subdomain: made.subdomain,
    ownerEmail: made.owner.account.email,
    ownerPassword: `portal password ${made.owner.account.email}`,
    ownerToken: made.owner.token,
  };
}

async function addMember(instance: Instance, opts: { quotaGib?: number; mustChangePassword?: boolean } = {}) {
  const email = `${unique('member')}@example.com`;
  const password = `member password ${email}`;
  const member = await h.prisma.member.create({
    data: {
      instanceId: instance.id,
      email,
      emailNormalized: email,
      name: `Member ${email}`,
      role: 'user',
      status: 'active',
      passwordHash: await createPasswordService().hashPassword(password),
      quotaBytes: opts.quotaGib ? BigInt(opts.quotaGib) * GIB : null,
      mustChangePassword: opts.mustChangePassword ?? false,
    },
  });
  return { id: member.id, email, password };
}

/** The owner's member row, as provisioning makes it: no password of its own (the portal account's is used). */
function addOwner(site: Instance) {
  return h.prisma.member.create({
    data: {
      instanceId: site.id,
      email: site.ownerEmail,
      emailNormalized: site.ownerEmail,
      name: 'Owner',
      role: 'owner',
      status: 'active',
    },
  });
}

async function relyingParty(instance: Instance, secret = h.signIn!.providers.clientSecretFor(instance.id)) {
  return oidc.discovery(
    new URL(`${origin(instance.subdomain)}/photoplane`),
    instance.id,
    undefined,
    oidc.ClientSecretPost(secret),
    {
      execute: [oidc.allowInsecureRequests],
      [oidc.customFetch]: loopbackAwareFetch,
    },
  );
}

/** A browser: keeps cookies per host, does not follow redirects by itself. */
function browser() {
  const jar = new Map<string, Map<string, string>>();
  return {
    async go(url: string, form?: Record<string, string>): Promise<Response> {
      const target = new URL(url);
      const cookies = jar.get(target.host) ?? new Map<string, string>();
      const res = await loopbackAwareFetch(target, {
        method: form ? 'POST' : 'GET',
        headers: {
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36',
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form ? new URLSearchParams(form) : undefined,
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
      }
      jar.set(target.host, cookies);
      return res;
    },
  };
}

const location = (res: Response, base: string) => new URL(res.headers.get('location')!, base).href;
const formAction = (html: string) => /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
const hiddenProof = (html: string) => /name="proof" value="([^"]+)"/.exec(html)?.[1];

interface SignIn {
  email: string;
  password: string;
  totpSecret?: string;
  /** Steps ahead of now for the code (a step already spent on confirming cannot sign in). */
  totpStepOffset?: number;
  newPassword?: string;
}

/**
 * The authorization-code flow as the photo app starts it and a member's browser walks it: the authorize
 * redirect, the sign-in form, a code and a new password where due, the redirect back with a code.
 */
async function authorize(instance: Instance, who: SignIn, b = browser()) {
  const config = await relyingParty(instance);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const redirectUri = `${origin(instance.subdomain)}/auth/login`;
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  let res = await b.go(url.href);
  assert.equal(res.status, 303, await res.clone().text());
  let next = location(res, url.href);
  let askedForCode = false;
  if (!next.startsWith(redirectUri)) {
    res = await b.go(next);
    let html = await res.text();
    assert.equal(res.status, 200, html);
    assert.match(html, /<h1>Sign in<\/h1>/);
    res = await b.go(new URL(formAction(html)!, next).href, { email: who.email, password: who.password });
    if (res.status === 200) {
      html = await res.text();
      if (html.includes('Two-factor code')) {
        assert.ok(who.totpSecret, 'a code was asked for');
        askedForCode = true;
        const code = totpCode(who.totpSecret, totpStep(new Date()) + (who.totpStepOffset ?? 0));
        res = await b.go(new URL(formAction(html)!, next).href, { proof: hiddenProof(html)!, code });
        if (res.status === 200) html = await res.text();
      }
      if (res.status === 200 && html.includes('Choose a new password')) {
        assert.ok(who.newPassword, 'a new password was asked for');
        res = await b.go(new URL(formAction(html)!, next).href, {
          proof: hiddenProof(html)!,
          newPassword: who.newPassword,
          confirmPassword: who.newPassword,
        });
      }
    }
    assert.equal(res.status, 303, res.status === 303 ? '' : await res.text());
    next = location(res, next);
    res = await b.go(next);
    assert.equal(res.status, 303, await res.clone().text());
    next = location(res, next);
  }
  assert.ok(next.startsWith(redirectUri), `redirected back to the photo app: ${next}`);
  return { config, callback: new URL(next), verifier, state, browser: b, askedForCode };
}

async function tokensFor(instance: Instance, who: SignIn) {
  const flow = await authorize(instance, who);
  const tokens = await oidc.authorizationCodeGrant(flow.config, flow.callback, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
  return { ...flow, tokens, claims: tokens.claims()! };
}

async function jwks(instance: Instance): Promise<JSONWebKeySet> {
  const res = await loopbackAwareFetch(`${origin(instance.subdomain)}/photoplane/jwks`);
  return (await res.json()) as JSONWebKeySet;
}

describe('the OpenID provider of an instance (I1)', () => {
  test('a member signs in with code + PKCE and the ID token carries who they are and their rolled-up quota', async () => {
    const site = await newInstance(10);
    const member = await addMember(site, { quotaGib: 3 });
    const { claims, tokens, config } = await tokensFor(site, member);
    assert.equal(claims.iss, `${origin(site.subdomain)}/photoplane`);
    assert.equal(claims.aud, site.id);
    assert.equal(claims.sub, member.id);
    assert.equal(claims.email, member.email);
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, `Member ${member.email}`);
    assert.equal(claims.immich_quota, 3);
    assert.equal(claims.immich_role, 'user');
    assert.equal(typeof claims.sid, 'string');
    assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, member.id);
    assert.equal(userinfo.immich_quota, 3);
    assert.equal(userinfo.email, member.email);
    // The sign-in is a device of the member's (U4), and was recorded.
    const device = await h.prisma.session.findFirstOrThrow({
      where: { memberId: member.id, oidcSid: claims.sid as string },
    });
    assert.equal(device.deviceType, 'Chrome');
    const attempts = await h.prisma.loginAttempt.count({ where: { memberId: member.id, status: 'succeeded' } });
    assert.equal(attempts, 1);
  });

  test("the owner signs in with their portal password and is the photo app's admin with the whole plan", async () => {
    const site = await newInstance(10);
    const owner = await addOwner(site);
    const { claims } = await tokensFor(site, { email: site.ownerEmail, password: site.ownerPassword });
    assert.equal(claims.sub, owner.id);
    assert.equal(claims.immich_role, 'admin');
    assert.equal(claims.immich_quota, 10);
  });

  test('a wrong password re-renders the form with the message; a member of another instance is nobody here', async () => {
    const a = await newInstance();
    const b = await newInstance();
    const memberOfA = await addMember(a);
    const config = await relyingParty(b);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${origin(b.subdomain)}/auth/login`,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const br = browser();
    const interaction = location(await br.go(url.href), url.href);
    const html = await (await br.go(interaction)).text();
    const res = await br.go(new URL(formAction(html)!, interaction).href, {
      email: memberOfA.email,
      password: memberOfA.password,
    });
    assert.equal(res.status, 401);
    const page = await res.text();
    assert.match(page, /The e-mail address or password is wrong/);
    assert.match(page, new RegExp(`value="${memberOfA.email.replace('.', '\\.')}"`));
    assert.equal(res.headers.get('content-security-policy')?.includes("script-src 'self'"), true);
  });

  test("instance A's client is unknown to B's provider, and A's code is refused at B", async () => {
    const a = await newInstance();
    const b = await newInstance();
    const member = await addMember(a);
    // A's client id at B's authorization endpoint: an error page, no redirect anywhere.
    const atB = await relyingParty(b);
    const url = oidc.buildAuthorizationUrl(atB, {
      redirect_uri: `${origin(a.subdomain)}/auth/login`,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    url.searchParams.set('client_id', a.id);
    const refused = await browser().go(url.href);
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('location'), null);
    assert.match(await refused.text(), /client is invalid|invalid_client|client authentication failed|unrecognized/i);
    // A's code redeemed at B's token endpoint with B's own credentials (sent by hand: a careful client would
    // already stop at the issuer in the redirect, which names A).
    const flow = await authorize(a, member);
    const redeem = (at: Instance, client: Instance, secretOf: Instance) =>
      loopbackAwareFetch(`${origin(at.subdomain)}/photoplane/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: flow.callback.searchParams.get('code')!,
          redirect_uri: `${origin(a.subdomain)}/auth/login`,
          code_verifier: flow.verifier,
          client_id: client.id,
          client_secret: h.signIn!.providers.clientSecretFor(secretOf.id),
        }),
      });
    const res = await redeem(b, b, b);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    // And A's client id with B's secret is no client at all.
    const forged = await redeem(a, a, b);
    assert.equal(forged.status, 401);
  });

  test('a foreign redirect URI, a replayed code, an expired code and a wrong client secret are all refused', async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const config = await relyingParty(site);
    const foreign = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://attacker.example/callback',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const refused = await browser().go(foreign.href);
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('location'), null);
    assert.match(await refused.text(), /redirect_uri/);

    // Replay: the second redemption of one code fails.
    const flow = await authorize(site, member);
    const grant = () =>
      oidc.authorizationCodeGrant(flow.config, flow.callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
      });
    await grant();
    await assert.rejects(grant(), oauthError('invalid_grant'));

    // Expired: a code past its lifetime is gone.
    const late = await authorize(site, member);
    await h.prisma.oidcPayload.updateMany({
      where: { kind: 'AuthorizationCode', id: late.callback.searchParams.get('code')! },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await assert.rejects(
      oidc.authorizationCodeGrant(late.config, late.callback, {
        pkceCodeVerifier: late.verifier,
        expectedState: late.state,
      }),
      oauthError('invalid_grant'),
    );

    // A wrong PKCE verifier and a wrong client secret.
    const other = await authorize(site, member);
    await assert.rejects(
      oidc.authorizationCodeGrant(other.config, other.callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: other.state,
      }),
      oauthError('invalid_grant'),
    );
    const third = await authorize(site, member);
    const wrongSecret = await relyingParty(site, 'not-the-secret');
    await assert.rejects(
      oidc.authorizationCodeGrant(wrongSecret, third.callback, {
        pkceCodeVerifier: third.verifier,
        expectedState: third.state,
      }),
      oauthError('invalid_client'),
    );
  });

  test('a member with two-factor on is asked for the code; one who must change their password does so first', async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const secret = generateTotpSecret();
    await h.prisma.memberTwoFactor.create({
      data: {
        instanceId: site.id,
        memberId: member.id,
        secretCipher: createSecretBox('test-totp-key-that-is-at-least-32-characters').seal(secret),
        enabledAt: new Date(),
      },
    });
    const { claims, askedForCode } = await tokensFor(site, { ...member, totpSecret: secret });
    assert.equal(claims.sub, member.id);
    assert.equal(askedForCode, true);

    const forced = await addMember(site, { mustChangePassword: true });
    const newPassword = `a brand new password for ${forced.email}`;
    const signedIn = await tokensFor(site, { ...forced, newPassword });
    assert.equal(signedIn.claims.sub, forced.id);
    const row = await h.prisma.member.findUniqueOrThrow({ where: { id: forced.id } });
    assert.equal(row.mustChangePassword, false);
    assert.ok(await createPasswordService().verifyPassword(row.passwordHash!, newPassword));
  });

  test('rotating the signing key keeps tokens signed before it verifiable, and new ones use the new key', async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const before = await tokensFor(site, member);
    const oldKid = decodeProtectedHeader(before.tokens.id_token!).kid;
    const newKid = await h.signIn!.providers.rotateSigningKey();
    assert.notEqual(newKid, oldKid);
    const afterRotation = await tokensFor(site, member);
    assert.equal(decodeProtectedHeader(afterRotation.tokens.id_token!).kid, newKid);
    const keys = await jwks(site);
    assert.deepEqual(keys.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
    for (const token of [before.tokens.id_token!, afterRotation.tokens.id_token!]) {
      const { payload } = await jwtVerify(token, createLocalJWKSet(keys), {
        issuer: `${origin(site.subdomain)}/photoplane`,
        audience: site.id,
        currentDate: new Date(),
      });
      assert.equal(payload.sub, member.id);
    }
    for (const key of keys.keys) assert.equal(key.d, undefined, 'no private part is published');
  });

  test("revoking the device ends the photo app's session: a signed back-channel logout with its sid", async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const { claims, browser: b } = await tokensFor(site, member);
    // The member revokes the photo-app sign-in from their devices (U4), through the member API.
    const login = await h.app.inject({
      method: 'POST',
      url: `/v1/instances/${site.subdomain}/auth/login`,
      payload: { email: member.email, password: member.password },
    });
    assert.equal(login.statusCode, 200, login.body);
    const token = login.json<{ accessToken: string }>().accessToken;
    const devices = await h.app.inject({
      method: 'GET',
      url: `/v1/instances/${site.subdomain}/me/sessions`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(devices.statusCode, 200, devices.body);
    const device = await h.prisma.session.findFirstOrThrow({ where: { oidcSid: claims.sid as string } });
    assert.ok(devices.json<{ devices: { id: string }[] }>().devices.some((d) => d.id === device.id));
    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/v1/instances/${site.subdomain}/me/sessions/${device.id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(revoked.statusCode, 204, revoked.body);

    logouts.length = 0;
    assert.equal(await h.signIn!.logout.runOnce(), 1);
    assert.equal(logouts.length, 1);
    assert.equal(logouts[0]!.host, new URL(origin(site.subdomain)).host);
    const { payload } = await jwtVerify(logouts[0]!.token, createLocalJWKSet(await jwks(site)), {
      issuer: `${origin(site.subdomain)}/photoplane`,
      audience: site.id,
    });
    assert.equal(payload.sub, member.id);
    assert.equal(payload.sid, claims.sid);
    assert.ok(Object.keys(payload.events as object).includes('http://schemas.openid.net/event/backchannel-logout'));
    assert.equal(await h.signIn!.logout.runOnce(), 0, 'sent once');

    // The provider's own session ended too: the same browser is asked to sign in again.
    const config = await relyingParty(site);
    const again = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${origin(site.subdomain)}/auth/login`,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const res = await b.go(again.href);
    assert.match(location(res, again.href), /\/photoplane\/interaction\//);
  });

  test('a disabled member cannot sign in, and every photo-app session of theirs is logged out', async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const first = await tokensFor(site, member);
    // The owner turns the member's sign-in off (M7's "disabled at once"), through the owner's member API.
    const disabled = await h.app.inject({
      method: 'PATCH',
      url: `/v1/instances/${site.subdomain}/members/${member.id}`,
      headers: { authorization: `Bearer ${site.ownerToken}` },
      payload: { noLogin: true },
    });
    assert.equal(disabled.statusCode, 200, disabled.body);
    logouts.length = 0;
    await h.signIn!.logout.runOnce();
    assert.deepEqual(
      logouts.map((l) => decodeJwt(l.token).sid),
      [first.claims.sid],
    );
    await assert.rejects(tokensFor(site, member), /401|status/);
  });

  test('pages under /photoplane at a host that is no live instance say so', async () => {
    const res = await loopbackAwareFetch(`${origin('nobody-here')}/photoplane/.well-known/openid-configuration`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /No photo library here/);
  });
});

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** A member opens `/photoplane/account` in a browser: sent to sign in where needed, and back to the page. */
async function openAccount(site: Instance, who: SignIn, b = browser()) {
  let url = `${origin(site.subdomain)}/photoplane/account`;
  for (let hop = 0; hop < 12; hop++) {
    let res = await b.go(url);
    if (res.status === 303 || res.status === 302) {
      url = location(res, url);
      continue;
    }
    let html = await res.text();
    if (html.includes('<h1>Sign in</h1>')) {
      const action = new URL(formAction(html)!, url).href;
      res = await b.go(action, { email: who.email, password: who.password });
      if (res.status === 200 && (html = await res.text()).includes('Two-factor code')) {
        const code = totpCode(who.totpSecret!, totpStep(new Date()));
        res = await b.go(new URL(formAction(html)!, url).href, { proof: hiddenProof(html)!, code });
      }
      assert.equal(res.status, 303, res.status === 303 ? '' : await res.text());
      url = location(res, url);
      continue;
    }
    assert.equal(res.status, 200, html);
    assert.match(html, /<h1>Your account<\/h1>/);
    return { html, browser: b, csrf: csrfOf(html) };
  }
  throw new Error('too many redirects');
}

describe("the member's own account and password reset at the instance's address (U1-U6, I1)", () => {
  test('a member signs in at /photoplane/account, renames themself, makes an API key shown once, and a form without its token is refused', async () => {
    const site = await newInstance(10);
    const member = await addMember(site, { quotaGib: 3 });
    const { html, browser: b, csrf } = await openAccount(site, member);
    assert.ok(html.includes(member.email));
    assert.match(html, /of 3\.0 GiB/);
    assert.match(html, /\(this browser\)/, 'the sign-in is listed among the devices');
    const page = `${origin(site.subdomain)}/photoplane/account`;

    const forged = await b.go(`${page}/profile`, { name: 'Mallory' });
    assert.equal(forged.status, 403);
    assert.equal(
      (await h.prisma.member.findUniqueOrThrow({ where: { id: member.id } })).name,
      `Member ${member.email}`,
    );

    const empty = await b.go(`${page}/profile`, { csrf, name: '   ' });
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /id="name-error"/);

    const renamed = await b.go(`${page}/profile`, { csrf, name: 'Ann Example' });
    assert.equal(renamed.status, 303);
    const after = await (await b.go(location(renamed, page))).text();
    assert.match(after, /Your name is saved\./);
    assert.match(after, /value="Ann Example"/);

    const made = await b.go(`${page}/api-keys`, { csrf, name: 'backup script' });
    assert.equal(made.status, 201);
    const secret = /id="new-api-key">([^<]+)</.exec(await made.text())?.[1];
    assert.ok(secret, 'the secret is shown');
    const me = await h.app.inject({
      method: 'GET',
      url: `/v1/instances/${site.subdomain}/me`,
      headers: { 'x-api-key': secret },
    });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json<{ name: string }>().name, 'Ann Example');
    const reloaded = await (await b.go(page)).text();
    assert.ok(reloaded.includes('backup script'));
    assert.ok(!reloaded.includes(secret), 'shown once only');
  });

  test('two-factor set up on the account page with its QR code is asked for at the next sign-in', async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const { browser: b, csrf } = await openAccount(site, member);
    const page = `${origin(site.subdomain)}/photoplane/account`;
    const started = await b.go(`${page}/two-factor/start`, { csrf });
    const html = await started.text();
    assert.equal(started.status, 200, html);
    assert.match(html, /<img class="qr" src="data:image\/png;base64,/);
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1];
    assert.ok(secret);
    const wrong = await b.go(`${page}/two-factor/confirm`, { csrf, code: '000000' });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /The code is wrong/);
    const confirmed = await b.go(`${page}/two-factor/confirm`, {
      csrf,
      code: totpCode(secret, totpStep(new Date())),
    });
    assert.equal(confirmed.status, 303);
    assert.match(await (await b.go(location(confirmed, page))).text(), /Two-factor authentication is on\./);
    // A new browser (the photo app's sign-in) now needs the code.
    const flow = await authorize(site, { ...member, totpSecret: secret, totpStepOffset: 1 });
    assert.equal(flow.askedForCode, true);
  });

  test("signing out another device from the account page ends that device's photo-app session", async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const phone = await tokensFor(site, member);
    const { browser: b, csrf, html } = await openAccount(site, member);
    const phoneDevice = await h.prisma.session.findFirstOrThrow({ where: { oidcSid: phone.claims.sid as string } });
    const page = `${origin(site.subdomain)}/photoplane/account`;
    assert.ok(html.includes(`/devices/${phoneDevice.id}/revoke`));
    const revoked = await b.go(`${page}/devices/${phoneDevice.id}/revoke`, { csrf });
    assert.equal(revoked.status, 303);
    logouts.length = 0;
    await h.signIn!.logout.runOnce();
    assert.deepEqual(
      logouts.map((l) => decodeJwt(l.token).sid),
      [phone.claims.sid],
    );
    // This browser is still signed in; another member's device id is simply not found.
    const other = await addMember(site);
    const theirs = await tokensFor(site, other);
    const theirDevice = await h.prisma.session.findFirstOrThrow({ where: { oidcSid: theirs.claims.sid as string } });
    const refused = await b.go(`${page}/devices/${theirDevice.id}/revoke`, { csrf });
    assert.equal(refused.status, 404);
    assert.equal((await h.prisma.session.findUniqueOrThrow({ where: { id: theirDevice.id } })).revokedAt, null);
  });

  test("the owner's account page sends them to the portal for their password", async () => {
    const site = await newInstance();
    await addOwner(site);
    const { html } = await openAccount(site, { email: site.ownerEmail, password: site.ownerPassword });
    assert.match(html, /You own this library/);
    assert.ok(!html.includes('name="currentPassword"'));
  });

  test('forgot password: the e-mailed link sets a new password once, signs the member out everywhere, and works at no other instance', async () => {
    const site = await newInstance();
    const member = await addMember(site);
    const before = await tokensFor(site, member);
    const forgot = `${origin(site.subdomain)}/photoplane/forgot`;
    const form = await loopbackAwareFetch(forgot);
    assert.equal(form.status, 200);
    const b = browser();
    const nobody = `${unique('nobody')}@example.com`;
    const sentToNobody = await b.go(forgot, { email: nobody });
    assert.equal(sentToNobody.status, 200);
    const sent = await b.go(forgot, { email: member.email.toUpperCase() });
    assert.equal(sent.status, 200);
    assert.equal(await sent.text(), await (await b.go(forgot, { email: nobody })).text(), 'the same answer for both');
    await waitFor(() => h.inbox.some((m) => m.to === member.email));
    assert.ok(!h.inbox.some((m) => m.to === nobody));
    const mail = h.inbox.find((m) => m.to === member.email)!;
    const token = /\/photoplane\/reset#token=([\w-]+)/.exec(mail.text)?.[1];
    assert.ok(token, mail.text);

    const reset = `${origin(site.subdomain)}/photoplane/reset`;
    const otherSite = await newInstance();
    const foreign = await b.go(`${origin(otherSite.subdomain)}/photoplane/reset`, {
      token,
      password: 'a brand new passphrase',
      confirmPassword: 'a brand new passphrase',
    });
    assert.equal(foreign.status, 410);
    assert.match(await foreign.text(), /This link is not valid/);
    const short = await b.go(reset, { token, password: 'short', confirmPassword: 'short' });
    assert.equal(short.status, 400);
    const done = await b.go(reset, {
      token,
      password: 'a brand new passphrase',
      confirmPassword: 'a brand new passphrase',
    });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /Password changed/);
    const again = await b.go(reset, {
      token,
      password: 'another new passphrase',
      confirmPassword: 'another new passphrase',
    });
    assert.equal(again.status, 410);

    logouts.length = 0;
    await h.signIn!.logout.runOnce();
    assert.deepEqual(
      logouts.map((l) => decodeJwt(l.token).sid),
      [before.claims.sid],
    );
    await assert.rejects(tokensFor(site, member), /401|status/);
    const after = await tokensFor(site, { ...member, password: 'a brand new passphrase' });
    assert.equal(after.claims.sub, member.id);
  });

  test("the owner asking at the instance gets their portal account's reset e-mail", async () => {
    const site = await newInstance();
    await addOwner(site);
    const res = await browser().go(`${origin(site.subdomain)}/photoplane/forgot`, { email: site.ownerEmail });
    assert.equal(res.status, 200);
    await waitFor(() => h.inbox.some((m) => m.to === site.ownerEmail && /Photoplane password/.test(m.subject)));
  });
});

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
