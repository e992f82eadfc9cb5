// Domain error codes → HTTP statuses, in one table. A Record over the code union means a new code in the tenant
// model does not compile until it is mapped here.
import type { DomainError, DomainErrorCode } from '@photoplane/tenant-model';
import type { ProblemInput } from './problem.schema.ts';

export const domainErrorStatus: Record<DomainErrorCode, number> = {
  validation: 400,
  subdomain_invalid: 400,
  subdomain_reserved: 409,
  subdomain_taken: 409,
  password_required: 401,
  password_invalid: 401,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  illegal_transition: 409,
  quota_exceeded: 422,
  plan_downgrade_blocked: 422,
  expired: 410,
};

/** bigint byte counts become decimal strings: JSON has no bigint, and bytes can exceed 2^53. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

export function problemFromDomainError(error: DomainError): ProblemInput {
  const { field, ...rest } = error.details;
  const status = domainErrorStatus[error.code];
  return {
    type: `https://photoplane.dev/problems/${error.code.replaceAll('_', '-')}`,
    status,
    detail: error.message,
    code: error.code,
    ...(typeof field === 'string' ? { errors: [{ field, message: error.message }] } : {}),
    extensions: jsonSafe(rest) as Record<string, unknown>,
  };
}
