// Prisma CLI configuration (Prisma 7 reads the datasource URL from here, not from the schema).
//
// Prisma's native schema engine is a binary the CLI downloads from Prisma's servers, which these machines cannot
// reach. When no native engine is installed, point the CLI at tools/schema-engine-shim.mjs, a project-owned
// stand-in that runs Prisma's WebAssembly schema engine (@prisma/schema-engine-wasm, from npm) over the pg driver
// adapter. Where the native engine exists (downloaded at install time), it is used as usual.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

const here = import.meta.dirname;

function nativeSchemaEngineInstalled(): boolean {
  const enginesDir = path.join(here, '..', 'node_modules', '@prisma', 'engines');
  const candidates = fs.existsSync(enginesDir) ? fs.readdirSync(enginesDir).map((f) => path.join(enginesDir, f)) : [];
  const cacheRoot = path.join(os.homedir(), '.cache', 'prisma', 'master');
  if (fs.existsSync(cacheRoot)) {
    for (const hash of fs.readdirSync(cacheRoot)) {
      for (const platform of fs.readdirSync(path.join(cacheRoot, hash))) {
        candidates.push(path.join(cacheRoot, hash, platform, 'schema-engine'));
      }
    }
  }
  return candidates.some((f) => /schema-engine(-[a-z0-9.-]+)?$/.test(path.basename(f)) && isFile(f));
}

function isFile(f: string): boolean {
  try {
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
}

if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && !nativeSchemaEngineInstalled()) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(here, 'tools', 'schema-engine-shim.mjs');
}

export default defineConfig({
  schema: path.join(here, 'schema.prisma'),
  migrations: { path: path.join(here, 'migrations') },
  // `prisma generate` needs no database; migrate commands fail with Prisma's own clear message without one.
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://photoplane@127.0.0.1:5432/photoplane' },
});
