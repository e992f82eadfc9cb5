// A recording, answering HTTP proxy in front of stripe-mock, for tests (issue 13). The portal re-reads every object
// a webhook names (Stripe's truth), but stripe-mock holds no state: it answers any id with the same fixture. The
// proxy answers GET of the subscriptions and checkout sessions a test has put (the test's "current objects at
// Stripe"), applies a price change POSTed to such a subscription (as Stripe would), forwards everything else to
// stripe-mock, and records every request, so a test can count the calls the portal made. `setDown(true)` answers
// 503 to everything, as an outage would.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  /** What the proxy did: answered from a put object, forwarded, or refused while down. */
  answer: 'object' | 'forwarded' | 'down';
}

export interface StripeProxy {
  url: string;
  /** Sets the object as Stripe has it now (by its id); later reads see exactly this. */
  put(object: { id: string }): void;
  get(id: string): Record<string, unknown> | undefined;
  requests: RecordedRequest[];
  /** Requests whose method and path match, e.g. ('POST', /^\/v1\/subscriptions\/sub_1$/). */
  count(method: string, path: RegExp): number;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const OBJECT_PATH = /^\/v1\/(?:subscriptions|checkout\/sessions)\/([A-Za-z0-9_]+)$/;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Applies `items[0][price]=…` of a subscription update to the stored object (all the portal ever changes). */
function applyUpdate(object: Record<string, unknown>, form: URLSearchParams): void {
  const price = form.get('items[0][price]');
  const items = object.items as { data?: { price?: unknown }[] } | undefined;
  const item = items?.data?.[0];
  if (price && item) item.price = { id: price, object: 'price' };
}

export async function startStripeProxy(upstream: string): Promise<StripeProxy> {
  const target = new URL(upstream);
  const objects = new Map<string, Record<string, unknown>>();
  const requests: RecordedRequest[] = [];
  let down = false;

  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const method = req.method ?? 'GET';
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      const record = (answer: RecordedRequest['answer']) =>
        requests.push({ method, path: url.pathname, idempotencyKey, answer });
      if (down) {
        record('down');
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: 'Stripe is down (test proxy)' } }));
        return;
      }
      const id = OBJECT_PATH.exec(url.pathname)?.[1];
      const object = id ? objects.get(id) : undefined;
      if (object && (method === 'GET' || method === 'POST')) {
        if (method === 'POST') applyUpdate(object, new URLSearchParams(body.toString()));
        record('object');
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_proxy_${requests.length}` });
        res.end(JSON.stringify(object));
        return;
      }
      record('forwarded');
      const headers = { ...req.headers, host: target.host };
      const forwarded = http.request(
        { host: target.hostname, port: target.port, path: req.url, method, headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forwarded.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }));
      });
      forwarded.end(body);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    put: (object) => objects.set(object.id, structuredClone(object)),
    get: (id) => objects.get(id),
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)).length,
    setDown: (value) => {
      down = value;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
