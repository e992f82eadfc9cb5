// The web app's request and response types are generated from the portal's OpenAPI document and committed
// (src/lib/openapi.d.ts); this fails when a portal route changed and `npm run generate:api -w @photoplane/web`
// was not run, so the app cannot drift from the API it calls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderOpenApiTypes } from '../scripts/openapi-types.ts';

test("src/lib/openapi.d.ts is what the portal's OpenAPI document generates", async () => {
  const committed = fs.readFileSync(path.resolve(import.meta.dirname, '..', 'src', 'lib', 'openapi.d.ts'), 'utf8');
  assert.ok(committed === (await renderOpenApiTypes()), 'run: npm run generate:api -w @photoplane/web');
});
