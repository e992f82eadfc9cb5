// One `npm test` / `npm start` at a time on the machine: each may start a dockerd, and two daemons managing
// iptables (or sharing a data root) disturb each other. A second run waits for the first.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { say } from './log.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function acquireLock(file: string, timeoutMs = 30 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(holder) || !alive(holder)) {
      fs.rmSync(file, { force: true }); // left by a run that was killed
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another stack (pid ${holder}) still holds ${file}`);
    if (!told) say('stack', `waiting for another stack run (pid ${holder}) to finish`);
    told = true;
    await sleep(1000);
  }
}
