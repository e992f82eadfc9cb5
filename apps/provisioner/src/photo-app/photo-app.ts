// What the control plane needs from the photo app running inside an instance. Activities depend on this
// interface, not on Immich, so another photo app can be added behind it. No Temporal imports here: activities
// decide what is retryable (see PhotoAppError.retryable).
//
// Byte counts are bigint end to end: quotas and usage feed the quota roll-up, and a plan can exceed what a JSON
// number carries exactly. `quotaBytes: null` means unlimited; 0n is a real quota of zero bytes (mapping a member's
// "0 GiB = unlimited" to null is the tenant model's job, not the adapter's).

export type PhotoAppUserStatus = 'active' | 'deleted' | 'removing';

export interface PhotoAppUser {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  /** `deleted`: soft-deleted, login refused, restorable until purged; `removing`: being purged. */
  status: PhotoAppUserStatus;
  /** null = unlimited. */
  quotaBytes: bigint | null;
  /** null when the app has not counted yet. */
  usageBytes: bigint | null;
  /** Replaces the user id in the upload path; null = none. */
  storageLabel: string | null;
  shouldChangePassword: boolean;
  createdAt: string;
  deletedAt: string | null;
}

export interface PhotoAppVersion {
  major: number;
  minor: number;
  patch: number;
  /** e.g. "3.2.2" */
  text: string;
}

/** A fresh instance takes its owner as first admin; any later sign-up finds an admin already there. */
export type SignUpAdminResult = { outcome: 'created'; admin: PhotoAppUser } | { outcome: 'already-initialised' };

export interface PhotoAppSession {
  /** Secret: hand it to an adapter, never log it. */
  accessToken: string;
  userId: string;
  email: string;
  name: string;
  isAdmin: boolean;
  shouldChangePassword: boolean;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  /** Shown once by the app; store only what the caller's own rules allow (a hash, or an encrypted secret). */
  secret: string;
}

export interface UserUsage {
  userId: string;
  userName: string;
  usageBytes: bigint;
  /** null = unlimited. */
  quotaBytes: bigint | null;
  photos: number;
  videos: number;
}

export interface PhotoAppUsage {
  totalBytes: bigint;
  users: UserUsage[];
}

export interface CreateUserInput {
  email: string;
  name: string;
  /** Secret: never logged. */
  password: string;
  quotaBytes: bigint | null;
  storageLabel?: string | null;
  shouldChangePassword: boolean;
}

/** Only the fields given are changed. */
export interface UpdateUserInput {
  name?: string;
  email?: string;
  /** Secret: never logged. */
  password?: string;
  /** null = unlimited. */
  quotaBytes?: bigint | null;
  /** null clears the label. */
  storageLabel?: string | null;
  shouldChangePassword?: boolean;
}

/** The app's whole system config: sections of fields, as the app sent it (see system-config.ts). */
export type PhotoAppConfig = Record<string, Record<string, unknown> | undefined>;

export interface PhotoApp {
  readonly kind: string;
  /** Resolves when the app answers; rejects with PhotoAppError otherwise. */
  ping(): Promise<void>;
  version(): Promise<PhotoAppVersion>;
  /** True once an admin exists. Public: needs no credentials. */
  isInitialised(): Promise<boolean>;
  /** Public: needs no credentials. */
  signUpAdmin(input: { email: string; name: string; password: string }): Promise<SignUpAdminResult>;
  /** Public: needs no credentials. */
  login(input: { email: string; password: string }): Promise<PhotoAppSession>;
  /** A key with every permission, for the authenticated user. */
  createApiKey(name: string): Promise<CreatedApiKey>;
  /** Newest first; soft-deleted users included unless asked otherwise, so they can be restored. */
  listUsers(options?: { includeDeleted?: boolean }): Promise<PhotoAppUser[]>;
  createUser(input: CreateUserInput): Promise<PhotoAppUser>;
  updateUser(id: string, patch: UpdateUserInput): Promise<PhotoAppUser>;
  /** Without force: soft delete (restorable). With force: the user and their files are removed. */
  deleteUser(id: string, options: { force: boolean }): Promise<PhotoAppUser>;
  restoreUser(id: string): Promise<PhotoAppUser>;
  usage(): Promise<PhotoAppUsage>;
  /** Moves existing files to their template path, applying changed storage labels. */
  runStorageMigration(): Promise<void>;
  /** Removes soft-deleted users whose deletion delay has passed (the app's own daily clean-up, run now). */
  purgeDeletedUsers(): Promise<void>;
  /** The whole system config (admin). Holds secrets (the OAuth client secret): never log it. */
  getConfig(): Promise<PhotoAppConfig>;
  /** Replaces the whole system config (Immich takes every section); answers the config as saved. */
  updateConfig(config: PhotoAppConfig): Promise<PhotoAppConfig>;
}

/**
 * A call to the photo app failed. `status` is the HTTP status, or null when no usable answer came (unreachable,
 * timed out, unreadable body). `message` is the app's own message (for Immich, the `message` of its error body), with any credential the
 * adapter holds redacted.
 */
export class PhotoAppError extends Error {
  override name = 'PhotoAppError';

  constructor(
    readonly operation: string,
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth retrying: no answer, the app is overloaded, or it failed on its side. 4xx answers will not change. */
  get retryable(): boolean {
    return this.status === null || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export function isPhotoAppError(e: unknown): e is PhotoAppError {
  return e instanceof PhotoAppError;
}
