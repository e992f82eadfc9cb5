// Writes src/cli/openapi.d.ts, the `photoplane` CLI's request and response types, from the portal's OpenAPI
// document (see cli-openapi-types.ts). Committed; test/cli-openapi-types.test.ts fails when it is out of date.
import fs from 'node:fs';
import path from 'node:path';
import { renderCliOpenApiTypes } from './cli-openapi-types.ts';

const out = path.resolve(import.meta.dirname, '..', 'src', 'cli', 'openapi.d.ts');
fs.writeFileSync(out, await renderCliOpenApiTypes());
process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
