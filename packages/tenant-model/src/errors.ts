/**
 * Domain errors carry a code and never an HTTP status: the portal maps each code to a status in one
 * `Record<DomainErrorCode, number>`, so adding a code here breaks its build until the code is mapped.
 */
export const domainErrorCodes = [
  'validation',
  'not_found',
  'conflict',
  'forbidden',
  'unauthenticated',
  'quota_exceeded',
  'plan_downgrade_blocked',
  'illegal_transition',
  'subdomain_invalid',
  'subdomain_reserved',
  'subdomain_taken',
  'expired',
  'password_required',
  'password_invalid',
] as const;

export type DomainErrorCode = (typeof domainErrorCodes)[number];

/** Byte counts stay bigint here; whoever serialises them (problem+json) decides on strings or numbers. */
export interface DomainErrorDetails {
  readonly field?: string;
  readonly rule?: string;
  readonly bytesAvailable?: bigint;
  readonly bytesToFree?: bigint;
  readonly [key: string]: unknown;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown, code?: DomainErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}

/**
 * Rules that a caller may want to evaluate without try/catch (bulk screens, "why not?" hints) return a
 * Check; parsers and transitions throw instead, because their callers cannot continue without a value.
 */
export type Check = { readonly ok: true } | { readonly ok: false; readonly error: DomainError };

export const allowed: Check = Object.freeze({ ok: true });

export function refused(error: DomainError): Check {
  return { ok: false, error };
}

export function assertAllowed(check: Check): void {
  if (!check.ok) throw check.error;
}

export function validationError(field: string, message: string, rule?: string): DomainError {
  return new DomainError('validation', message, rule === undefined ? { field } : { field, rule });
}

const NO_SUCH_MEMBER = 'No such member';

/**
 * The one error for "that member does not exist *for you*". A member of another instance, a purged member
 * and a missing id must all produce this very value (same code, message and details), otherwise the answer
 * would reveal that an id exists elsewhere.
 */
export function memberNotFound(): DomainError {
  return new DomainError('not_found', NO_SUCH_MEMBER, { field: 'memberId' });
}

export function resourceNotFound(resource: string): DomainError {
  return new DomainError('not_found', `No such ${resource}`, { field: `${resource}Id` });
}
