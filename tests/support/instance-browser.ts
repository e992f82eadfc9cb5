// A member's (or a visitor's) HTTP client for `<sub>.<domain>` through the edge, the way a browser resolving the
// name to Caddy sends it: every request goes to 127.0.0.1 at the URL's port with the URL's Host, cookies are kept per
// host, redirects are not followed by themselves. `signIn` walks Photoplane's OpenID sign-in as the photo app
// starts it (its /api/oauth/authorize, Photoplane's pages under /photoplane, its /api/oauth/callback) and returns
// the photo app's access token.
import assert from 'node:assert/strict';
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body as a JSON object (empty when it is not one). */
  json: Record<string, unknown>;
  /** The body as a JSON array (empty when it is not one). */
  list: Record<string, unknown>[];
}

export interface InstanceBrowser {
  go(
    url: string,
    init?: {
      method?: string;
      token?: string;
      json?: unknown;
      form?: Record<string, string>;
      body?: Buffer;
      type?: string;
    },
  ): Promise<Reply>;
  /** Forgets every cookie (a new visitor). */
  clear(): void;
}

export function instanceBrowser(): InstanceBrowser {
  const jar = new Map<string, Map<string, string>>();
  return {
    clear: () => jar.clear(),
    go(url, init = {}) {
      const target = new URL(url);
      assert.equal(target.protocol, 'http:', 'only http:// is dialled on loopback');
      const cookies = jar.get(target.host) ?? new Map<string, string>();
      let body: Buffer | undefined;
      let type: string | undefined;
      if (init.json !== undefined) [body, type] = [Buffer.from(JSON.stringify(init.json)), 'application/json'];
      else if (init.form)
        [body, type] = [Buffer.from(new URLSearchParams(init.form).toString()), 'application/x-www-form-urlencoded'];
      else if (init.body) [body, type] = [init.body, init.type];
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: Number(target.port || 80),
            path: `${target.pathname}${target.search}`,
            method: init.method ?? (body ? 'POST' : 'GET'),
            headers: {
              host: target.host,
              accept: 'application/json, text/html',
              'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36',
              ...(cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
              ...(type ? { 'content-type': type } : {}),
              ...(body ? { 'content-length': String(body.length) } : {}),
              ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              for (const line of res.headers['set-cookie'] ?? []) {
                const [pair] = line.split(';');
                const eq = pair!.indexOf('=');
                const name = pair!.slice(0, eq).trim();
                const value = pair!.slice(eq + 1);
                if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
                else cookies.set(name, value);
              }
              jar.set(target.host, cookies);
              const text = Buffer.concat(chunks).toString();
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON: a page, or Caddy's own answer
              }
              const list = Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : [];
              const json =
                parsed && typeof parsed === 'object' && !Array.isArray(parsed)
                  ? (parsed as Record<string, unknown>)
                  : {};
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, list });
            });
          },
        );
        req.on('error', reject);
        req.setTimeout(15_000, () => req.destroy(new Error(`timed out: ${init.method ?? 'GET'} ${url}`)));
        req.end(body);
      });
    },
  };
}

const formAction = (html: string) => /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');

/**
 * Signs a member in to the photo app at `origin` through Photoplane (the photo app's OAuth login, as its web
 * client starts it) and returns the photo app's access token.
 */
export async function signIn(b: InstanceBrowser, origin: string, who: { email: string; password: string }) {
  const redirectUri = `${origin}/auth/login`;
  const start = await b.go(`${origin}/api/oauth/authorize`, { json: { redirectUri } });
  assert.equal(start.status, 201, start.text);
  let next = String(start.json.url);
  assert.ok(next.startsWith(`${origin}/photoplane/`), next);
  for (let hop = 0; hop < 10 && !next.startsWith(redirectUri); hop++) {
    let res = await b.go(next);
    if (res.status === 200 && /<h1>Sign in<\/h1>/.test(res.text)) {
      res = await b.go(new URL(formAction(res.text)!, next).href, { form: who });
    }
    assert.equal(res.status, 303, `${next}: ${res.status} ${res.text.slice(0, 500)}`);
    next = new URL(res.headers.location!, next).href;
  }
  assert.ok(next.startsWith(redirectUri), `back at the photo app: ${next}`);
  const done = await b.go(`${origin}/api/oauth/callback`, { json: { url: next } });
  assert.equal(done.status, 201, done.text);
  return String(done.json.accessToken);
}

/** A multipart upload the way @immich/sdk's uploadAsset sends one. */
export function uploadBody(filename: string, content: string, fileCreatedAt = '2024-05-06T07:08:09.000Z') {
  const boundary = `----photoplane${Math.random().toString(16).slice(2)}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const text =
    field('deviceAssetId', `sharing-${filename}`) +
    field('deviceId', 'photoplane-tests') +
    field('fileCreatedAt', fileCreatedAt) +
    field('fileModifiedAt', fileCreatedAt) +
    field('filename', filename) +
    `--${boundary}\r\nContent-Disposition: form-data; name="assetData"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n` +
    `--${boundary}--\r\n`;
  return { body: Buffer.from(text), type: `multipart/form-data; boundary=${boundary}` };
}
