// `npm start` shows the portal's and the worker's pino logs readable in a terminal and keeps their JSON in the log
// files: a real child process writes pino-shaped lines, and both ends are read back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startProcess } from '../src/process.ts';
import { serviceEcho } from '../src/service-logs.ts';

const record = { level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 7, hostname: 'h', msg: 'disk low', free: 3 };
const script = `console.log(${JSON.stringify(JSON.stringify(record))}); console.error('worker failed: plain text');`;

async function runWith(isTerminal: boolean): Promise<{ screen: string; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photoplane-service-logs-'));
  try {
    const logFile = path.join(dir, 'worker.log');
    let screen = '';
    const proc = startProcess('worker', process.execPath, ['-e', script], {
      logFile,
      echo: serviceEcho('worker', { isTerminal, write: (text) => (screen += text) }),
    });
    assert.equal(await proc.exited, 0);
    // The file stream ends once both pipes have closed.
    for (let i = 0; i < 50 && fs.readFileSync(logFile, 'utf8').split('\n').length < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
    return { screen, file: fs.readFileSync(logFile, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('in a terminal the log lines are shown readable and tagged, and the log file keeps them as JSON', async () => {
  const { screen, file } = await runWith(true);
  const plain = screen.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
  assert.match(plain, /^\[\d\d:\d\d:\d\d\] WARN: \[worker\] disk low \{"free":3\}$/m);
  assert.doesNotMatch(plain, /"level"/);
  assert.match(plain, /^worker failed: plain text$/m);
  const lines = file.trim().split('\n').sort();
  assert.deepEqual(JSON.parse(lines.find((l) => l.startsWith('{'))!), record);
  assert.ok(lines.includes('worker failed: plain text'));
});

test('elsewhere (piped to a file or a CI log) the screen gets the JSON as it is', async () => {
  const { screen } = await runWith(false);
  assert.ok(screen.split('\n').includes(JSON.stringify(record)), screen);
});
