// Benchmark (issue 18): what the `view_changed` triggers (the portal's view cache, platform/data/view-cache.ts) cost
// the writers. The usage sync's write, every member row of an instance updated in one transaction, over
// BENCH_INSTANCES instances of 4 members, with the triggers off for the transaction (session_replication_role =
// replica, the baseline) and on, alternating BENCH_ROUNDS times in one run. A LISTEN connection is open on the
// channel, as a portal's is, so PostgreSQL queues the notifications for a listener.
//
// Needs PostgreSQL only:
//   node --import tsx infra/src/with-postgres.ts --run bench/view-triggers.bench.ts
import { createTestDatabase } from '@photoplane/db/testing';
import pg from 'pg';

const instances = Number(process.env.BENCH_INSTANCES ?? 1000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const db = await createTestDatabase();
const writer = new pg.Client({ connectionString: db.url });
const listener = new pg.Client({ connectionString: db.url });
let heard = 0;
try {
  await writer.connect();
  await listener.connect();
  listener.on('notification', () => heard++);
  await listener.query('LISTEN photoplane_view_changed');

  await writer.query(`INSERT INTO plan (id, name, "storageBytes", "stripePriceId", "priceCents", "updatedAt")
                      VALUES ('bench', 'Bench', 1099511627776, 'price_bench', 900, now())`);
  const { rows: accounts } = await writer.query<{ id: string }>(
    `INSERT INTO account (id, email, "emailNormalized", "passwordHash", "updatedAt")
     VALUES (gen_random_uuid(), 'bench@example.com', 'bench@example.com', 'not-used', now()) RETURNING id`,
  );
  // One subscription, instance and 4 members per instance, in one statement each over generate_series.
  const { rows } = await writer.query<{ id: string }>(
    `WITH s AS (
       INSERT INTO subscription (id, "accountId", "planId", state, "updatedAt")
       SELECT gen_random_uuid(), $1::uuid, 'bench', 'active', now() FROM generate_series(1, $2::int)
       RETURNING id),
     numbered AS (SELECT id, row_number() OVER () AS n FROM s)
     INSERT INTO instance (id, "subscriptionId", subdomain, state, "updatedAt")
     SELECT gen_random_uuid(), id, 'bench' || lpad(n::text, 6, '0'), 'active', now() FROM numbered
     RETURNING id`,
    [accounts[0]!.id, instances],
  );
  const ids = rows.map((r) => r.id);
  await writer.query(
    `INSERT INTO member (id, "instanceId", email, "emailNormalized", name, role, status, "updatedAt")
     SELECT gen_random_uuid(), i, 'm' || k || '@example.com', 'm' || k || '@example.com', 'Member', 'user', 'active', now()
       FROM unnest($1::uuid[]) AS i, generate_series(1, 4) AS k`,
    [ids],
  );

  await new Promise((resolve) => setTimeout(resolve, 200));
  heard = 0;

  async function round(triggers: boolean): Promise<number> {
    const started = performance.now();
    for (const id of ids) {
      await writer.query('BEGIN');
      if (!triggers) await writer.query('SET LOCAL session_replication_role = replica');
      await writer.query('UPDATE member SET "usageBytes" = "usageBytes" + 1 WHERE "instanceId" = $1::uuid', [id]);
      await writer.query('COMMIT');
    }
    return (performance.now() - started) / ids.length;
  }

  const lines = [
    '',
    `view triggers: ${instances} instances x 4 member rows, one transaction per instance (ms per instance)`,
    '  round   triggers off (baseline)   triggers on   on / off',
  ];
  for (let r = 1; r <= rounds; r++) {
    const off = await round(false);
    const on = await round(true);
    lines.push(
      `  ${String(r).padStart(5)}   ${off.toFixed(3).padStart(23)}   ${on.toFixed(3).padStart(11)}   ${(on / off).toFixed(2).padStart(8)}`,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  lines.push(`  notifications heard: ${heard} (one per instance per round with the triggers on)`, '');
  process.stdout.write(lines.join('\n'));
} finally {
  await listener.end();
  await writer.end();
  await db.drop();
}
