// How requests are checked against their route's schema (issue 16: the API's contract is exact). fastify's own ajv
// compiler, with three rules of ours:
// - Bodies are exact JSON: `{"name": false}` is not the name "false". Only the querystring, path parameters and
//   headers, which arrive as text, are coerced to the types their schema declares.
// - `format: 'email'` is the services' own rule (parseEmail: trimmed and lower-cased first), so whatever one accepts
//   the other accepts, and a bad address is refused by the schema, naming the field, before any work is done.
// - No text may hold U+0000: PostgreSQL cannot store it, so it would fail deep inside a use case as a server error.
import { AjvCompiler } from '@fastify/ajv-compiler';
import { parseEmail } from '@photoplane/tenant-model';
import type { FastifyServerOptions } from 'fastify';
import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema.js';

type AjvOptions = NonNullable<FastifyServerOptions['ajv']>;
/** What fastify hands a validator factory, and what the factory answers, as far as this file uses them. */
type CompilerOptions = { customOptions?: Record<string, unknown> } & Record<string, unknown>;
type Validate = FastifyValidationResult;
type RouteCompiler = (route: FastifyRouteSchemaDef<unknown>) => Validate;
type ValidatorFactory = (externalSchemas: unknown, options: CompilerOptions) => RouteCompiler;
type FastifyValidatorFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

/** The ajv options the portal validates with (the schema layer's `customOptions`; coercion is decided per part). */
export const ajvOptions: AjvOptions = {
  // Unknown fields are refused, not silently dropped: a typo in a field name must not look like success.
  customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
  onCreate: (ajv) => ajv.addFormat('email', { type: 'string', validate: isEmail }),
};

function isEmail(value: string): boolean {
  try {
    parseEmail(value);
    return true;
  } catch {
    return false;
  }
}

/** The JSON pointer of the first string (or key) in `value` that holds U+0000, if any. */
function findNul(value: unknown, pointer = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? pointer : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const here = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (key.includes('\u0000')) return here;
    const found = findNul(item, here);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `validate`, then the NUL rule; an error is reported the way ajv reports its own (the error handler names it). */
function refusingNul(validate: Validate): Validate {
  const wrapped = ((data: unknown, ...rest: unknown[]) => {
    const ok = (validate as (...args: unknown[]) => unknown)(data, ...rest);
    if (ok !== true) {
      wrapped.errors = validate.errors;
      return ok;
    }
    const at = findNul(data);
    if (at === undefined) return true;
    wrapped.errors = [
      {
        instancePath: at,
        schemaPath: '#',
        keyword: 'nul',
        params: {},
        message: 'must not contain the NUL character (U+0000)',
      },
    ];
    return false;
  }) as Validate;
  // fastify lets ajv coerce a part's root value in place when the validator has a schema environment.
  Object.defineProperty(wrapped, 'schemaEnv', { value: (validate as { schemaEnv?: unknown }).schemaEnv });
  return wrapped;
}

/**
 * fastify's `schemaController.compilersFactory.buildValidator`: one ajv that coerces (querystring, params, headers)
 * and one that does not (body), both with the portal's formats.
 */
export function buildValidator(): FastifyValidatorFactory {
  const pool = AjvCompiler() as unknown as ValidatorFactory;
  const factory: ValidatorFactory = (externalSchemas, options) => {
    const coercing = pool(externalSchemas, options);
    const exact = pool(externalSchemas, {
      ...options,
      customOptions: { ...options.customOptions, coerceTypes: false },
    });
    return (route) => refusingNul((route.httpPart === 'body' ? exact : coercing)(route));
  };
  return factory as unknown as FastifyValidatorFactory;
}
