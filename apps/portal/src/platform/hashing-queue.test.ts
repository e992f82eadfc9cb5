import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHashingQueue, defaultHashingConcurrency, HashingBusyError } from './hashing-queue.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

test('at most `concurrency` tasks run at once, `maxWaiting` wait, and one more is refused at once', async () => {
  const queue = createHashingQueue({ concurrency: 2, maxWaiting: 3 });
  const g = gate();
  let running = 0;
  let most = 0;
  const task = async () => {
    running++;
    most = Math.max(most, running);
    await g.opened;
    running--;
    return 'done';
  };
  const accepted = Array.from({ length: 5 }, () => queue.run(task));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(queue.stats(), { running: 2, waiting: 3 });
  await assert.rejects(queue.run(task), (e: unknown) => e instanceof HashingBusyError && e.statusCode === 503);
  g.open();
  assert.deepEqual(await Promise.all(accepted), ['done', 'done', 'done', 'done', 'done']);
  assert.equal(most, 2);
  assert.deepEqual(queue.stats(), { running: 0, waiting: 0 }, 'every slot is given back');
});

test('a failing task gives its slot back', async () => {
  const queue = createHashingQueue({ concurrency: 1, maxWaiting: 0 });
  await assert.rejects(
    queue.run(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await queue.run(() => Promise.resolve(7)), 7);
});

test('full() says a call would be refused right now; it clears as soon as a slot frees', async () => {
  const queue = createHashingQueue({ concurrency: 1, maxWaiting: 1 });
  const g = gate();
  assert.equal(queue.full(), false);
  const first = queue.run(() => g.opened);
  assert.equal(queue.full(), false, 'one may still wait');
  const second = queue.run(() => Promise.resolve());
  assert.equal(queue.full(), true);
  await assert.rejects(
    queue.run(() => Promise.resolve()),
    HashingBusyError,
  );
  g.open();
  await Promise.all([first, second]);
  assert.equal(queue.full(), false);
});

test('hashing leaves the event loop a core: one fewer than the machine has, at least one', () => {
  assert.equal(defaultHashingConcurrency(1), 1);
  assert.equal(defaultHashingConcurrency(2), 1);
  assert.equal(defaultHashingConcurrency(8), 7);
});
