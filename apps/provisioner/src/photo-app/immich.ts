// The PhotoApp interface on Immich, through Immich's own generated client (@immich/sdk).
//
// The SDK keeps a module-global `defaults` (base URL, x-api-key header, fetch) that `init()` mutates. One worker
// talks to many instances at once, so this adapter never reads or writes it: every call carries its own
// RequestOpts (baseUrl, fetch, signal). The runtime still merges `defaults.headers` into every request, and
// per-call headers can override but not remove them, so the credential is set inside our own fetch, which first
// drops any credential header inherited from the globals: one instance's key can never reach another.
import {
  createApiKey,
  createJob,
  createUserAdmin,
  deleteUserAdmin,
  getConfig,
  getServerConfig,
  getServerStatistics,
  getServerVersion,
  isHttpError,
  isMalformedResponseError,
  jsonOnly,
  login,
  ManualJobName,
  Permission,
  pingServer,
  QueueCommand,
  QueueName,
  restoreUserAdmin,
  runQueueCommandLegacy,
  searchUsersAdmin,
  signUpAdmin,
  updateConfig,
  updateUserAdmin,
  UserStatus,
  type AdminConfigDto,
  type UserAdminResponseDto,
  type UserAdminUpdateDto,
} from '@immich/sdk';
import {
  PhotoAppError,
  type PhotoApp,
  type PhotoAppConfig,
  type PhotoAppUser,
  type PhotoAppUserStatus,
  type UpdateUserInput,
} from './photo-app.ts';

type RequestOpts = NonNullable<Parameters<typeof pingServer>[0]>;

export interface ImmichPhotoAppOptions {
  /** The server's URL, e.g. http://127.0.0.1:2283; `/api` is appended unless already there. */
  baseUrl: string;
  /** Secret. Either an API key or a session access token, not both; neither for public calls only. */
  apiKey?: string;
  /** Secret. A session token from login(). */
  accessToken?: string;
  fetch?: typeof fetch;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Every header Immich accepts a credential from; only the adapter's own may reach the server. */
const CREDENTIAL_HEADERS = [
  'x-api-key',
  'authorization',
  'cookie',
  'x-immich-user-token',
  'x-immich-session-token',
  'x-immich-share-key',
];
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Immich keeps byte counts as JSON numbers: beyond 2^53 - 1 (8 PiB) they would silently lose precision. */
export function bytesToImmich(bytes: bigint, field: string): number {
  if (bytes < 0n) throw new RangeError(`${field} must not be negative (got ${bytes})`);
  if (bytes > MAX_SAFE) {
    throw new RangeError(
      `${field} ${bytes} is larger than Immich can hold exactly (at most Number.MAX_SAFE_INTEGER = ${MAX_SAFE} bytes)`,
    );
  }
  return Number(bytes);
}

export function bytesFromImmich(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`Immich sent ${field} = ${value}, not a byte count`);
  return BigInt(value);
}

function optionalBytesToImmich(bytes: bigint | null, field: string): number | null {
  return bytes === null ? null : bytesToImmich(bytes, field);
}

function optionalBytesFromImmich(value: number | null, field: string): bigint | null {
  return value === null ? null : bytesFromImmich(value, field);
}

function apiBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('baseUrl must be http(s)');
  if (url.username || url.password || url.search) throw new TypeError('baseUrl must carry no credentials or query');
  const trimmed = url.href.replace(/\/+$/, '');
  return trimmed.endsWith('/api') ? trimmed : `${trimmed}/api`;
}

const STATUS: Record<UserStatus, PhotoAppUserStatus> = {
  [UserStatus.Active]: 'active',
  [UserStatus.Deleted]: 'deleted',
  [UserStatus.Removing]: 'removing',
};

function toUser(dto: UserAdminResponseDto): PhotoAppUser {
  return {
    id: dto.id,
    email: dto.email,
    name: dto.name,
    isAdmin: dto.isAdmin,
    status: STATUS[dto.status],
    quotaBytes: optionalBytesFromImmich(dto.quotaSizeInBytes, 'quotaSizeInBytes'),
    usageBytes: optionalBytesFromImmich(dto.quotaUsageInBytes, 'quotaUsageInBytes'),
    storageLabel: dto.storageLabel,
    shouldChangePassword: dto.shouldChangePassword,
    createdAt: dto.createdAt,
    deletedAt: dto.deletedAt,
  };
}

function toUpdateDto(patch: UpdateUserInput): UserAdminUpdateDto {
  const dto: UserAdminUpdateDto = {};
  if (patch.name !== undefined) dto.name = patch.name;
  if (patch.email !== undefined) dto.email = patch.email;
  if (patch.password !== undefined) dto.password = patch.password;
  if (patch.quotaBytes !== undefined) dto.quotaSizeInBytes = optionalBytesToImmich(patch.quotaBytes, 'quotaBytes');
  if (patch.storageLabel !== undefined) dto.storageLabel = patch.storageLabel;
  if (patch.shouldChangePassword !== undefined) dto.shouldChangePassword = patch.shouldChangePassword;
  return dto;
}

/**
 * Immich's error body is `{ message, error, statusCode }`; `message` is a string, or a list of strings for
 * validation errors, and newer servers add `errors: [{ path, message }]`.
 */
function immichMessage(data: unknown, status: number): string {
  if (typeof data === 'string' && data.trim()) return data.trim().slice(0, 500);
  if (typeof data !== 'object' || data === null) return `HTTP ${status}`;
  const { message, errors } = data as { message?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof message === 'string') parts.push(message);
  else if (Array.isArray(message)) parts.push(...message.filter((m): m is string => typeof m === 'string'));
  if (Array.isArray(errors)) {
    for (const e of errors as { path?: unknown; message?: unknown }[]) {
      if (typeof e?.message !== 'string') continue;
      const path = Array.isArray(e.path) ? e.path.join('.') : '';
      parts.push(path ? `${path}: ${e.message}` : e.message);
    }
  }
  return parts.length ? parts.join('; ') : `HTTP ${status}`;
}

/** What went wrong when no HTTP answer could be used: a socket error, our timeout, or JSON that did not parse. */
function describeFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof DOMException && e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (e instanceof SyntaxError) return `unreadable answer (${e.message})`;
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `unreachable (${cause.code})`;
  return `unreachable (${e instanceof Error ? e.message : String(e)})`;
}

function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.replaceAll(s, '[redacted]');
  return out;
}

export function createImmichPhotoApp(options: ImmichPhotoAppOptions): PhotoApp {
  const { apiKey, accessToken } = options;
  if (apiKey && accessToken) throw new TypeError('give an apiKey or an accessToken, not both');
  const baseUrl = apiBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const baseFetch = options.fetch ?? ((input, init) => fetch(input, init));

  // The credential lives only in this closure, not on the returned object, so logging the adapter shows nothing.
  const authFetch: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    if (apiKey) headers.set('x-api-key', apiKey);
    if (accessToken) headers.set('authorization', `Bearer ${accessToken}`);
    return baseFetch(input, { ...init, headers });
  };
  // jsonOnly is the SDK's own guard: an HTML page (a proxy's 502) where JSON was expected becomes an error.
  const fetchImpl = jsonOnly(authFetch);

  async function call<T>(
    operation: string,
    run: (opts: RequestOpts) => Promise<T>,
    callSecrets: readonly (string | undefined)[] = [],
  ): Promise<T> {
    try {
      return await run({ baseUrl, fetch: fetchImpl, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const secrets = [apiKey, accessToken, ...callSecrets];
      if (isHttpError(e)) {
        throw new PhotoAppError(operation, e.status, redact(immichMessage(e.data, e.status), secrets));
      }
      if (isMalformedResponseError(e)) {
        throw new PhotoAppError(
          operation,
          e.status,
          `expected JSON, got ${e.contentType ?? 'no content type'} (HTTP ${e.status})`,
        );
      }
      // Fetch errors name the URL and the socket error, never request headers.
      throw new PhotoAppError(operation, null, redact(describeFailure(e, timeoutMs), secrets), { cause: e });
    }
  }

  const app: PhotoApp = {
    kind: 'immich',

    async ping() {
      const answer = await call('ping', (o) => pingServer(o));
      if (answer.res !== 'pong')
        throw new PhotoAppError('ping', 200, `unexpected ping answer ${JSON.stringify(answer)}`);
    },

    async version() {
      const v = await call('version', (o) => getServerVersion(o));
      return { major: v.major, minor: v.minor, patch: v.patch, text: `${v.major}.${v.minor}.${v.patch}` };
    },

    async isInitialised() {
      return (await call('isInitialised', (o) => getServerConfig(o))).isInitialized;
    },

    async signUpAdmin({ email, name, password }) {
      try {
        const dto = await call('signUpAdmin', (o) => signUpAdmin({ signUpDto: { email, name, password } }, o), [
          password,
        ]);
        return { outcome: 'created', admin: toUser(dto) };
      } catch (e) {
        // Immich answers 400 both for "The server already has an admin" and for invalid input; ask the server
        // which one it is rather than matching message text.
        if (e instanceof PhotoAppError && e.status === 400 && (await app.isInitialised())) {
          return { outcome: 'already-initialised' };
        }
        throw e;
      }
    },

    async login({ email, password }) {
      const r = await call('login', (o) => login({ loginCredentialDto: { email, password } }, o), [password]);
      return {
        accessToken: r.accessToken,
        userId: r.userId,
        email: r.userEmail,
        name: r.name,
        isAdmin: r.isAdmin,
        shouldChangePassword: r.shouldChangePassword,
      };
    },

    async createApiKey(name) {
      const r = await call('createApiKey', (o) =>
        createApiKey({ apiKeyCreateDto: { name, permissions: [Permission.All] } }, o),
      );
      return { id: r.id, name: r.name, secret: r.secret };
    },

    async listUsers({ includeDeleted = true } = {}) {
      const users = await call('listUsers', (o) => searchUsersAdmin({ withDeleted: includeDeleted }, o));
      return users.map(toUser);
    },

    async createUser(input) {
      // Converted before the request, so an out-of-range quota creates nothing.
      const quotaSizeInBytes = optionalBytesToImmich(input.quotaBytes, 'quotaBytes');
      const dto = await call(
        'createUser',
        (o) =>
          createUserAdmin(
            {
              userAdminCreateDto: {
                email: input.email,
                name: input.name,
                password: input.password,
                quotaSizeInBytes,
                storageLabel: input.storageLabel ?? null,
                shouldChangePassword: input.shouldChangePassword,
                // Photoplane sends its own invitation; Immich's would need SMTP inside the instance.
                notify: false,
              },
            },
            o,
          ),
        [input.password],
      );
      return toUser(dto);
    },

    async updateUser(id, patch) {
      const userAdminUpdateDto = toUpdateDto(patch);
      const dto = await call('updateUser', (o) => updateUserAdmin({ id, userAdminUpdateDto }, o), [patch.password]);
      return toUser(dto);
    },

    async deleteUser(id, { force }) {
      return toUser(await call('deleteUser', (o) => deleteUserAdmin({ id, userAdminDeleteDto: { force } }, o)));
    },

    async restoreUser(id) {
      return toUser(await call('restoreUser', (o) => restoreUserAdmin({ id }, o)));
    },

    async usage() {
      const stats = await call('usage', (o) => getServerStatistics(o));
      return {
        totalBytes: bytesFromImmich(stats.usage, 'usage'),
        users: stats.usageByUser.map((u) => ({
          userId: u.userId,
          userName: u.userName,
          usageBytes: bytesFromImmich(u.usage, 'usageByUser.usage'),
          quotaBytes: optionalBytesFromImmich(u.quotaSizeInBytes, 'usageByUser.quotaSizeInBytes'),
          photos: u.photos,
          videos: u.videos,
        })),
      };
    },

    async runStorageMigration() {
      // Immich 3.x still starts a queue only through the legacy jobs endpoint (PUT /jobs/{queue}).
      await call('runStorageMigration', (o) =>
        runQueueCommandLegacy(
          { name: QueueName.StorageTemplateMigration, queueCommandDto: { command: QueueCommand.Start } },
          o,
        ),
      );
    },

    async purgeDeletedUsers() {
      await call('purgeDeletedUsers', (o) => createJob({ jobCreateDto: { name: ManualJobName.UserCleanup } }, o));
    },

    async getConfig() {
      // Every section of AdminConfigDto is an object of fields: it is a PhotoAppConfig as it stands.
      const config: PhotoAppConfig = await call('getConfig', (o) => getConfig(o));
      return config;
    },

    async updateConfig(config) {
      // The config carries the OAuth client secret, and Immich may echo it in a validation message.
      const secret = config.oauth?.clientSecret;
      const saved = await call(
        'updateConfig',
        (o) => updateConfig({ adminConfigDto: config as unknown as AdminConfigDto }, o),
        [typeof secret === 'string' ? secret : undefined],
      );
      const result: PhotoAppConfig = saved;
      return result;
    },
  };
  return app;
}
