// The `photoplane` process: a client of the portal's support API (no database, no Temporal, no portal secrets). Runs
// one command as the member of staff signed in with `photoplane login` and exits. Errors are one line on stderr:
// exit 2 for usage, 1 for refusals.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createSupportApi, NotSignedInError } from './api-client.ts';
import { readCliConfig } from './config.ts';
import type { CliIo } from './context.ts';
import { describeFailure, runCommand, USAGE } from './photoplane.ts';
import { createSessionStore } from './session-store.ts';

function terminalIo(): CliIo {
  let lines: Promise<string[]> | undefined;
  return {
    out: (text) => process.stdout.write(text),
    readStdinLines() {
      lines ??= (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
      })();
      return lines;
    },
    async prompt(question, hidden) {
      if (!process.stdin.isTTY) return null;
      process.stderr.write(question);
      // Hidden: what is typed is not echoed (the prompt itself went to stderr above).
      const output = hidden ? new Writable({ write: (_c, _e, done) => done() }) : process.stderr;
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      try {
        return await new Promise<string>((resolve) => rl.question('', resolve));
      } finally {
        rl.close();
        if (hidden) process.stderr.write('\n');
      }
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const help = argv.some((a) => a === '--help' || a === '-h' || a === 'help');
  if (help || argv.length === 0) {
    process.stdout.write(USAGE);
    return help ? 0 : 2;
  }
  const config = readCliConfig();
  const store = createSessionStore(config.configDir);
  try {
    await runCommand(
      {
        store,
        defaultUrl: config.defaultUrl,
        io: terminalIo(),
        async api() {
          const session = await store.read();
          if (!session) throw new NotSignedInError('no staff session here; run photoplane login --url PORTAL_URL');
          return createSupportApi(session, store);
        },
      },
      argv,
    );
    return 0;
  } catch (e) {
    const { line, code } = describeFailure(e);
    process.stderr.write(`${line}\n`);
    return code;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`photoplane: failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
