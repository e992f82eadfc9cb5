// `fetch` for the provider's own outgoing calls (back-channel logout to a photo app). Names under `localhost` are
// loopback by definition (RFC 6761) and browsers treat them so, but the system resolver here does not know
// `<sub>.photos.localhost`: those are dialled on 127.0.0.1 with the name kept in the Host header, which is what the
// local stack's edge routes on. Every other address goes to the platform's fetch unchanged.
import http from 'node:http';

export async function loopbackAwareFetch(url: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const target = new URL(url instanceof Request ? url.url : url);
  if (!target.hostname.endsWith('.localhost') && target.hostname !== 'localhost') return fetch(url, init);
  if (target.protocol !== 'http:') throw new TypeError(`only http:// is dialled on loopback (got ${target.protocol})`);
  // Form bodies (URLSearchParams) and strings are all oidc-provider and openid-client send.
  const body = init.body instanceof URLSearchParams || typeof init.body === 'string' ? init.body.toString() : undefined;
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers: { ...headers, host: target.host, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
        signal: init.signal ?? AbortSignal.timeout(10_000),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const status = res.statusCode ?? 502;
          const empty = status === 204 || status === 304 || chunks.length === 0;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
