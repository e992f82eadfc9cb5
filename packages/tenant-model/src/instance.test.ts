import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkAcceptsMembers,
  instanceEvents,
  instanceServesTraffic,
  instanceStates,
  instanceTransitions,
  isInstanceTerminal,
  transitionInstance,
  type InstanceEvent,
  type InstanceState,
} from './instance.ts';
import { isDomainError } from './errors.ts';

function run(from: InstanceState, events: InstanceEvent[]): InstanceState {
  return events.reduce(transitionInstance, from);
}

describe('instance states', () => {
  it('V1/V3: provision, suspend, resume and deprovision follow their -ing states', () => {
    assert.equal(run('pending', ['provision_started', 'provisioned']), 'active');
    assert.equal(run('active', ['suspend_started', 'suspended', 'resume_started', 'resumed']), 'active');
    assert.equal(run('suspended', ['deprovision_started', 'deprovisioned']), 'deprovisioned');
  });

  it('V2/V3: a failed step lands in failed, from which reprovision or deprovision is possible', () => {
    assert.equal(run('pending', ['provision_started', 'provision_failed']), 'failed');
    assert.equal(run('failed', ['reprovision_started', 'provisioned']), 'active');
    assert.equal(run('active', ['suspend_started', 'suspend_failed', 'deprovision_started']), 'deprovisioning');
  });

  it('skipping the -ing state is an illegal transition', () => {
    assert.throws(
      () => transitionInstance('active', 'suspended'),
      (e: unknown) => isDomainError(e, 'illegal_transition'),
    );
    assert.throws(
      () => transitionInstance('pending', 'provisioned'),
      (e: unknown) => isDomainError(e, 'illegal_transition'),
    );
  });

  it('only deprovisioned is terminal', () => {
    assert.deepEqual(instanceStates.filter(isInstanceTerminal), ['deprovisioned']);
  });

  it('only an active instance serves traffic (and gets a TLS certificate)', () => {
    assert.deepEqual(instanceStates.filter(instanceServesTraffic), ['active']);
  });

  it('random event sequences stay within the table: each step is the table entry or a refusal that changes nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...instanceStates),
        fc.array(fc.constantFrom(...instanceEvents), { maxLength: 40 }),
        (start, events) => {
          let state = start;
          for (const event of events) {
            const expected = (instanceTransitions[state] as Partial<Record<InstanceEvent, InstanceState>>)[event];
            try {
              state = transitionInstance(state, event);
              assert.equal(state, expected);
            } catch (error) {
              assert.ok(isDomainError(error, 'illegal_transition'));
              assert.equal(expected, undefined);
            }
            assert.ok(instanceStates.includes(state));
          }
        },
      ),
    );
  });

  it('once deprovisioned, no event sequence leaves it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...instanceEvents), { minLength: 1, maxLength: 20 }), (events) => {
        let state: InstanceState = 'deprovisioned';
        for (const event of events) {
          try {
            state = transitionInstance(state, event);
          } catch {
            // refused, as it must be
          }
          assert.equal(state, 'deprovisioned');
        }
      }),
    );
  });
});

describe('holds: members only on an active instance', () => {
  it('every state but active refuses new members (and so invitations), naming the state', () => {
    for (const state of instanceStates) {
      const check = checkAcceptsMembers(state);
      assert.equal(check.ok, state === 'active', state);
      if (!check.ok) {
        assert.ok(isDomainError(check.error, 'illegal_transition'));
        assert.equal(check.error.details.state, state);
      }
    }
  });
});
