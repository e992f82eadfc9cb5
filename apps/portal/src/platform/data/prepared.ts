// Named prepared statements over a plain pg pool, for the reads every signed-in page makes (issue 18: the session
// check, the account, the subscription view, the members' admin reads). Through Prisma each of these cost more in
// the client (query interpretation, result mapping) than in PostgreSQL; here a statement is parsed and planned once
// per connection and each call sends only its parameters. Writes and transactions stay with Prisma.
import pg from 'pg';

/** Values as Prisma returns them: int8 as bigint, Prisma's `timestamp(3)` columns (UTC, no zone) as UTC dates. */
const TIMESTAMP = 1114;
const INT8 = 20;
const utc = (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
const int8 = (value: string) => BigInt(value);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP) return utc;
    if (oid === INT8) return int8;
    return (format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text')) as (
      value: string,
    ) => unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PreparedSql {
  /** Runs the statement prepared under `name` (one text per name, for the process's life) and returns its rows. */
  rows<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function createPreparedSql(databaseUrl: string, maxConnections = 10): PreparedSql {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: maxConnections,
    application_name: 'photoplane-portal',
    // Idle connections must not keep a process alive that is otherwise done (tests that never close a portal).
    allowExitOnIdle: true,
  });
  // An idle connection that fails (a restarted database) is dropped by the pool; without a listener it would throw.
  pool.on('error', () => {});
  return {
    async rows<T>(name: string, text: string, values: unknown[]) {
      const result = await pool.query({ name, text, values, types });
      return result.rows as T[];
    },
    close: () => pool.end(),
  };
}
