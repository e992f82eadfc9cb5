// The CLI's request and response types are generated from the portal's OpenAPI document and committed
// (src/cli/openapi.d.ts); this fails when a support route changed and `npm run generate:cli-api -w @photoplane/portal`
// was not run, so the CLI cannot drift from the API it calls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderCliOpenApiTypes } from '../scripts/cli-openapi-types.ts';

test("src/cli/openapi.d.ts is what the portal's OpenAPI document generates", async () => {
  const committed = fs.readFileSync(path.resolve(import.meta.dirname, '..', 'src', 'cli', 'openapi.d.ts'), 'utf8');
  assert.ok(committed === (await renderCliOpenApiTypes()), 'run: npm run generate:cli-api -w @photoplane/portal');
});
