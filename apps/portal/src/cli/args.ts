// Flag parsing shared by the `photoplane` command modules (node:util parseArgs), and the two failures the CLI itself
// raises: UsageError (exit 2) and RefusedError (exit 1).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { TableFormat } from './format.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A refusal the CLI itself makes (exit 1), like the portal's 4xx answers. */
export class RefusedError extends Error {
  override name = 'RefusedError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export const formatFlags = {
  md: { type: 'boolean', short: 'm' },
  csv: { type: 'boolean', short: 'c' },
  tsv: { type: 'boolean', short: 't' },
} as const satisfies Options;
export const reasonFlag = { reason: { type: 'string' } } as const satisfies Options;
export const instanceFlag = { instance: { type: 'string' } } as const satisfies Options;
export const limitFlag = { limit: { type: 'string', short: 'n' } } as const satisfies Options;

export function parse<O extends Options>(
  args: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (count > positionals.max) throw new UsageError(`unexpected argument: ${parsed.positionals[positionals.max]}`);
  return parsed;
}

export function formatOf(values: { md?: boolean; csv?: boolean; tsv?: boolean }): TableFormat {
  const chosen = (['md', 'csv', 'tsv'] as const).filter((f) => values[f]);
  if (chosen.length > 1) throw new UsageError('choose one of --md, --csv, --tsv');
  return chosen[0] ?? 'table';
}

export function need<T>(value: T | undefined, flag: string, why: string): T {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required: ${why}`);
  return value;
}

export const needReason = (values: { reason?: string }) =>
  need(values.reason, '--reason', 'every change is written to the audit log with its reason');
export const needInstance = (values: { instance?: string }) =>
  need(values.instance, '--instance', 'members are addressed within one instance (its subdomain)');

export function limitOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`-n must be a positive whole number, got "${raw}"`);
  return n;
}

/** A date or date-time for --since/--until, as ISO 8601. */
export function timeOf(raw: string | undefined, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw new UsageError(`${flag} must be a date or time (ISO 8601), got "${raw}"`);
  return at.toISOString();
}
