// A client that talks to `<subdomain>.<domain>` through the stack's Caddy the way a browser does: the name in the
// Host header (nothing resolves *.photos.localhost here), cookies kept per host, redirects followed one at a time.
// `signInToPhotoApp` walks the photo app's sign-in as its web client does (SPEC I1): the app starts OAuth, the
// member signs in on Photoplane's pages at the same address, and the app finishes with the code.
import assert from 'node:assert/strict';
import http from 'node:http';

export interface EdgeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export function edgeClient(caddyPort: number) {
  const jar = new Map<string, Map<string, string>>();

  function request(
    url: string,
    init: { method?: string; json?: unknown; form?: Record<string, string>; token?: string } = {},
  ): Promise<EdgeResponse> {
    const target = new URL(url);
    const cookies = jar.get(target.host) ?? new Map<string, string>();
    jar.set(target.host, cookies);
    const body =
      init.json !== undefined
        ? JSON.stringify(init.json)
        : init.form
          ? new URLSearchParams(init.form).toString()
          : undefined;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: caddyPort,
          path: `${target.pathname}${target.search}`,
          method: init.method ?? (body === undefined ? 'GET' : 'POST'),
          headers: {
            host: target.host,
            'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36',
            ...(cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
            ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          },
        },
        (res) => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair = ''] = line.split(';');
            const eq = pair.indexOf('=');
            const value = pair.slice(eq + 1);
            if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '')
              cookies.delete(pair.slice(0, eq).trim());
            else cookies.set(pair.slice(0, eq).trim(), value);
          }
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: <T>() => JSON.parse(text) as T,
            }),
          );
        },
      );
      req.on('error', reject);
      req.setTimeout(15_000, () => req.destroy(new Error(`timed out: ${url}`)));
      req.end(body);
    });
  }

  return { request, jar };
}

export interface PhotoAppSignIn {
  /** The photo app's session token for the member. */
  accessToken: string;
  userId: string;
  isAdmin: boolean;
  name: string;
}

/**
 * The photo app's web sign-in as Immich's web client drives it, through the edge: POST /api/oauth/authorize, the
 * provider's authorize redirect, Photoplane's sign-in form (and the code form when `totp` is given), the way back to
 * /auth/login with a code, and POST /api/oauth/callback with that URL.
 */
export async function signInToPhotoApp(
  client: ReturnType<typeof edgeClient>,
  origin: string,
  who: { email: string; password: string; totp?: () => string },
): Promise<PhotoAppSignIn> {
  const start = await client.request(`${origin}/api/oauth/authorize`, {
    json: { redirectUri: `${origin}/auth/login` },
  });
  assert.equal(start.status, 201, start.text);
  let url = start.json<{ url: string }>().url;
  assert.ok(url.startsWith(`${origin}/photoplane/`), `the photo app sends the member to Photoplane: ${url}`);
  let res = await client.request(url);
  for (let hops = 0; hops < 10; hops++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.location!, url).href;
      if (url.startsWith(`${origin}/auth/login`)) break;
      res = await client.request(url);
      continue;
    }
    assert.equal(res.status, 200, res.text);
    const action = /<form method="post" action="([^"]+)"/.exec(res.text)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(action, `a form on ${url}:\n${res.text}`);
    const proof = /name="proof" value="([^"]+)"/.exec(res.text)?.[1];
    if (res.text.includes('<h1>Sign in</h1>')) {
      res = await client.request(new URL(action, url).href, { form: { email: who.email, password: who.password } });
    } else if (res.text.includes('Two-factor code')) {
      assert.ok(who.totp, 'asked for a two-factor code');
      res = await client.request(new URL(action, url).href, { form: { proof: proof!, code: who.totp() } });
    } else {
      assert.fail(`unexpected page at ${url}:\n${res.text}`);
    }
  }
  assert.ok(url.startsWith(`${origin}/auth/login?`), `back at the photo app with a code: ${url}`);
  const done = await client.request(`${origin}/api/oauth/callback`, { json: { url } });
  assert.equal(done.status, 201, done.text);
  const body = done.json<{ accessToken: string; userId: string; isAdmin: boolean; name: string }>();
  return { accessToken: body.accessToken, userId: body.userId, isAdmin: body.isAdmin, name: body.name };
}
