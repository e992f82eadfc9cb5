// Generates src/lib/openapi.d.ts, the web app's request and response types, from the portal's own OpenAPI
// document: the portal's app is built with inert services (routes are registered, nothing is called) and
// openapi-typescript turns app.swagger() into types. The output is committed, so building the web app needs
// neither a database nor the portal running; tests/web-openapi.test.ts fails when it is out of date.
import fs from 'node:fs';
import path from 'node:path';
import { renderOpenApiTypes } from './openapi-types.ts';

const out = path.resolve(import.meta.dirname, '..', 'src', 'lib', 'openapi.d.ts');
fs.writeFileSync(out, await renderOpenApiTypes());
process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
