// Which failures are worth retrying. Temporal retries every activity error unless told otherwise; errors that a
// retry cannot fix (a foreign resource in the way, a missing image, bad input, the app refusing a request) are
// turned into non-retryable failures so the saga compensates at once instead of retrying for minutes.
import { ApplicationFailure } from '@temporalio/activity';
import { isDomainError } from '@photoplane/tenant-model';
import { BrokenDumpError } from '../backup/database-dump.ts';
import {
  ForeignResourceError,
  InvalidInstanceIdError,
  InvalidStackInputError,
  MissingImageError,
} from '../docker/index.ts';
import { InvalidRouteError } from '../edge/index.ts';
import { isPhotoAppError } from '../photo-app/index.ts';

export function nonRetryableIfPermanent(e: unknown): unknown {
  const permanent =
    e instanceof ForeignResourceError ||
    e instanceof MissingImageError ||
    e instanceof InvalidStackInputError ||
    e instanceof InvalidInstanceIdError ||
    e instanceof InvalidRouteError ||
    e instanceof BrokenDumpError ||
    isDomainError(e) ||
    (isPhotoAppError(e) && !e.retryable);
  if (!permanent || !(e instanceof Error)) return e;
  // The photo app's own message alone ("Invalid API key") does not say which call it answered.
  const message = isPhotoAppError(e) ? `${e.operation}: ${e.message}` : e.message;
  return ApplicationFailure.create({ message, type: e.name, nonRetryable: true, cause: e });
}

/** Wraps every method of an activity object so permanent errors are reported as non-retryable. */
export function withPermanentErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw nonRetryableIfPermanent(e);
      }
    };
  }
  return wrapped as T;
}
