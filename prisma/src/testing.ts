// Test support: a database of its own for each test file, copied from the migrated template that `npm test`
// prepares (PHOTOPLANE_TEST_SERVER_URL, PHOTOPLANE_TEST_TEMPLATE_DB).
import { createDatabaseFromTemplate, type CreatedDatabase } from './databases.ts';

export type { CreatedDatabase };

export async function createTestDatabase(): Promise<CreatedDatabase> {
  const server = process.env.PHOTOPLANE_TEST_SERVER_URL;
  const template = process.env.PHOTOPLANE_TEST_TEMPLATE_DB;
  if (!server || !template) {
    throw new Error(
      'no test database server: run the tests through `npm test`, which starts PostgreSQL and sets PHOTOPLANE_TEST_SERVER_URL',
    );
  }
  return createDatabaseFromTemplate(server, template);
}
