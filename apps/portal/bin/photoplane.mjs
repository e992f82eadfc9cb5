#!/usr/bin/env node
// The `photoplane` executable: the CLI is TypeScript run through tsx (no build step, as the rest of the project).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
