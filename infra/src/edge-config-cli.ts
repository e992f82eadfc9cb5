// `npm run edge-config -- --domain photos.example.com --portal 127.0.0.1:3000 --email ops@example.com`
// prints the production Caddy config (JSON) for an operator to save and run with `caddy run --config <file>`.
import { parseArgs } from 'node:util';
import { EdgeConfigError, parseRateLimit, renderEdgeConfig, type EdgeConfigOptions } from './edge-config.ts';

const USAGE = `usage: npm run edge-config -- --domain DOMAIN --portal HOST:PORT (--email ADDRESS | --issuer internal) [options]

  --domain DOMAIN        instances at <sub>.DOMAIN, the portal at DOMAIN and portal.DOMAIN (required)
  --portal HOST:PORT     where the portal listens; Caddy proxies to it and asks it before issuing (required)
  --issuer acme|internal acme (default): a public CA; internal: Caddy's local CA, for local use and tests
  --email ADDRESS        ACME account contact (required with acme)
  --acme-ca URL          another ACME directory, e.g. Let's Encrypt staging for a rehearsal
  --admin ADDRESS        Caddy's admin API, loopback only (default 127.0.0.1:2019)
  --listen-host HOST     bind the HTTP and HTTPS listeners to this interface (default: all)
  --http-port N          default 80
  --https-port N         default 443
  --storage DIR          certificates and keys (default: Caddy's data folder)
  --public-limit N/W     per client address, over all unauthenticated public actions (sign-up, sign-in,
                         refresh, password reset, verification, registration, members' sign-in pages):
                         N requests per window W (s, m or h), refused at the edge with 429; default 60/1m;
                         off for none
  --public-burst N       requests an address may make at once (default 20 with the default limit, else N)
  --public-total-limit N/W  a cap on those requests from all addresses together (default none): past it
                         everyone is refused until it refills, so a flood from many addresses cannot
                         saturate the portal
  --public-total-burst N requests from all addresses at once (default N)
`;

function port(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw))
    throw new EdgeConfigError(name === 'http-port' ? 'httpPort' : 'httpsPort', `${raw} is not a TCP port`);
  return Number(raw);
}

function publicLimit(limit: string | undefined, burst: string | undefined): Pick<EdgeConfigOptions, 'publicRateLimit'> {
  if (limit === undefined && burst === undefined) return {};
  if (limit === undefined) throw new EdgeConfigError('publicRateLimit', '--public-burst needs --public-limit');
  return { publicRateLimit: parseRateLimit(limit, burst) };
}

function totalLimit(limit: string | undefined, burst: string | undefined): Pick<EdgeConfigOptions, 'publicTotalLimit'> {
  if (limit === undefined && burst === undefined) return {};
  try {
    if (limit === undefined)
      throw new EdgeConfigError('publicTotalLimit', '--public-total-burst needs --public-total-limit');
    return { publicTotalLimit: parseRateLimit(limit, burst) };
  } catch (e) {
    // parseRateLimit names the per-address field; this is the total's.
    if (e instanceof EdgeConfigError && e.field === 'publicRateLimit')
      throw new EdgeConfigError('publicTotalLimit', e.message.replace(/^publicRateLimit: /, ''));
    throw e;
  }
}

function optionsFromArgs(args: string[]): EdgeConfigOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      domain: { type: 'string' },
      portal: { type: 'string' },
      issuer: { type: 'string' },
      email: { type: 'string' },
      'acme-ca': { type: 'string' },
      admin: { type: 'string' },
      'listen-host': { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      storage: { type: 'string' },
      'public-limit': { type: 'string' },
      'public-burst': { type: 'string' },
      'public-total-limit': { type: 'string' },
      'public-total-burst': { type: 'string' },
    },
  });
  if (!values.domain) throw new EdgeConfigError('domain', 'is required (--domain)');
  if (!values.portal) throw new EdgeConfigError('portalUpstream', 'is required (--portal)');
  const kind = values.issuer ?? 'acme';
  if (kind !== 'acme' && kind !== 'internal')
    throw new EdgeConfigError('issuer', `must be acme or internal, not ${kind}`);
  if (kind === 'acme' && !values.email)
    throw new EdgeConfigError('issuer.email', 'is required with the acme issuer (--email)');
  return {
    domain: values.domain.toLowerCase(),
    portalUpstream: values.portal,
    issuer:
      kind === 'internal'
        ? { kind: 'internal' }
        : { kind: 'acme', email: values.email ?? '', ...(values['acme-ca'] ? { ca: values['acme-ca'] } : {}) },
    adminListen: values.admin,
    listenHost: values['listen-host'],
    httpPort: port('http-port', values['http-port']),
    httpsPort: port('https-port', values['https-port']),
    storageDir: values.storage,
    ...publicLimit(values['public-limit'], values['public-burst']),
    ...totalLimit(values['public-total-limit'], values['public-total-burst']),
  };
}

try {
  process.stdout.write(JSON.stringify(renderEdgeConfig(optionsFromArgs(process.argv.slice(2))), null, 2) + '\n');
} catch (e) {
  // A wrong flag or value is a usage error (EX_USAGE), told in one line above the usage text.
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
  process.exitCode = 64;
}
