import assert from 'node:assert/strict';
import { test } from 'node:test';
import { customerFacingReason } from './customer-reason.ts';

test('customers see the step that failed, never the raw error text (log tails, hosts, paths)', () => {
  const raw = 'start_app: container exited (137)\nlog tail: postgres://admin:secret@10.0.3.4:5432/immich refused';
  const reason = customerFacingReason(raw);
  assert.equal(reason, 'The step "start app" did not complete.');
  for (const leak of ['secret', '10.0.3.4', 'postgres', 'log tail', '137']) assert.ok(!reason.includes(leak), leak);
});

test('an unrecognisable prefix gives a generic reason; nothing failed gives null', () => {
  assert.equal(customerFacingReason('Error: ECONNREFUSED 172.17.0.1:2375'), 'The last operation did not complete.');
  assert.equal(customerFacingReason('/var/lib/docker: no space left'), 'The last operation did not complete.');
  assert.equal(customerFacingReason(null), null);
});
