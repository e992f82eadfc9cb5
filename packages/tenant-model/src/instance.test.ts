import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkAcceptsMembers,
  checkInstanceOperation,
  instanceConditionOf,
  instanceEvents,
  instanceOperations,
  instanceOperationsAllowed,
  instanceOperationStates,
  instanceServesTraffic,
  instanceStates,
  isInstanceTerminal,
  transitionInstance,
  type InstanceEvent,
  type InstanceOperation,
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

  // The rules of the lifecycle, each stated on its own terms (not read back from the table), over random walks of
  // events from a fresh instance: every event is either applied or refused, and a refusal changes nothing.
  const busy: readonly InstanceState[] = ['provisioning', 'suspending', 'resuming', 'deprovisioning'];
  /** Each -ing state and the only states it may end in: its target, or failed. */
  const endsOf: Partial<Record<InstanceState, readonly InstanceState[]>> = {
    provisioning: ['active', 'failed'],
    suspending: ['suspended', 'failed'],
    resuming: ['active', 'failed'],
    deprovisioning: ['deprovisioned', 'failed'],
  };

  function walk(events: InstanceEvent[], step: (from: InstanceState, event: InstanceEvent, to: InstanceState) => void) {
    let state: InstanceState = 'pending';
    for (const event of events) {
      let to: InstanceState = state;
      try {
        to = transitionInstance(state, event);
      } catch (error) {
        assert.ok(isDomainError(error, 'illegal_transition'), String(error));
      }
      step(state, event, to);
      state = to;
    }
  }
  const events = fc.array(fc.constantFrom(...instanceEvents), { maxLength: 60 });

  it('V1-V3: a working (-ing) state ends only in its own target or in failed; it never jumps elsewhere', () => {
    fc.assert(
      fc.property(events, (seq) =>
        walk(seq, (from, event, to) => {
          const ends = endsOf[from];
          if (ends && to !== from) assert.ok(ends.includes(to), `${from} --${event}--> ${to}`);
        }),
      ),
    );
  });

  it('V1-V3: no step is skipped: a resting instance changes only by starting work (or a late saga failure to failed)', () => {
    fc.assert(
      fc.property(events, (seq) =>
        walk(seq, (from, event, to) => {
          if (busy.includes(from) || to === from) return;
          // The one exception: a provisioning saga that fails after its activation step compensates an active one.
          if (from === 'active' && event === 'provision_failed') return assert.equal(to, 'failed');
          assert.ok(busy.includes(to), `${from} --${event}--> ${to} skips the working state`);
        }),
      ),
    );
  });

  it('an instance serves traffic only after a provisioning or a resume finished; it is gone only after deprovisioning', () => {
    fc.assert(
      fc.property(events, (seq) =>
        walk(seq, (from, _event, to) => {
          if (to === 'active' && from !== 'active') assert.ok(from === 'provisioning' || from === 'resuming', from);
          if (to === 'deprovisioned' && from !== 'deprovisioned') assert.equal(from, 'deprovisioning');
        }),
      ),
    );
  });

  it('a repeated event is harmless: applying it twice ends where applying it once did', () => {
    fc.assert(
      fc.property(fc.constantFrom(...instanceStates), fc.constantFrom(...instanceEvents), (from, event) => {
        let once: InstanceState;
        try {
          once = transitionInstance(from, event);
        } catch {
          return;
        }
        let twice = once;
        try {
          twice = transitionInstance(once, event);
        } catch {
          // refused the second time: nothing changed
        }
        assert.equal(twice, once);
      }),
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

describe('support operations (SPEC A4): which one each state allows', () => {
  const states = fc.constantFrom(...instanceStates);
  const operations = fc.constantFrom(...instanceOperations);
  const allows = (state: InstanceState, operation: InstanceOperation) => checkInstanceOperation(state, operation).ok;

  it('while a workflow works on an instance (provisioning, suspending, resuming, deprovisioning), nothing else starts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(['provisioning', 'suspending', 'resuming', 'deprovisioning'] as const)),
        operations,
        (state, op) => assert.equal(allows(state, op), false, `${op} on ${state}`),
      ),
    );
    // The example: an instance being provisioned can't be reprovisioned.
    assert.equal(allows('provisioning', 'reprovision'), false);
  });

  it('on a suspended instance nothing but resume or rm is allowed (and asking to suspend it again, which does nothing)', () => {
    assert.deepEqual(instanceOperationsAllowed('suspended').sort(), ['deprovision', 'resume', 'suspend']);
    assert.equal(allows('suspended', 'reprovision'), false);
  });

  it('rm is allowed whenever no workflow is working on the instance, a removed one included (nothing to do)', () => {
    fc.assert(
      fc.property(states, (state) =>
        assert.equal(
          allows(state, 'deprovision'),
          !['provisioning', 'suspending', 'resuming', 'deprovisioning'].includes(state),
        ),
      ),
    );
  });

  it('reprovision rebuilds only an instance that ran (active) or broke (failed); a removed one stays removed', () => {
    assert.deepEqual(instanceStates.filter((s) => allows(s, 'reprovision')).sort(), ['active', 'failed']);
    assert.deepEqual(instanceOperationsAllowed('deprovisioned'), ['deprovision']);
    assert.deepEqual(instanceOperationsAllowed('pending'), ['deprovision']);
  });

  it('an allowed operation that runs to its end leads to its target, where asking again is allowed (a no-op)', () => {
    fc.assert(
      fc.property(states, operations, (state, op) => {
        if (!allows(state, op)) return;
        const { start, working, finish, done } = instanceOperationStates[op];
        if (state === done) return; // nothing to do: the workflow answers "already done"
        const during = transitionInstance(state, start);
        assert.equal(during, working);
        const after = transitionInstance(during, finish);
        if (done !== null) assert.equal(after, done);
        assert.ok(allows(after, op), `${op} again on ${after}`);
      }),
    );
  });

  it('a refused operation names the state it was refused in', () => {
    fc.assert(
      fc.property(states, operations, (state, op) => {
        const check = checkInstanceOperation(state, op);
        if (check.ok) return;
        assert.ok(isDomainError(check.error, 'illegal_transition'));
        assert.equal(check.error.details.state, state);
        assert.equal(check.error.message, `Cannot ${op} an instance that is ${state}.`);
      }),
    );
  });
});

describe("the subscription workflow's view of its instance", () => {
  it('an instance in motion counts as where it is going; pending as none; failed as failed', () => {
    assert.equal(instanceConditionOf(undefined), 'none');
    assert.equal(instanceConditionOf('pending'), 'none');
    assert.equal(instanceConditionOf('failed'), 'failed');
    for (const op of instanceOperations) {
      const { working, done } = instanceOperationStates[op];
      // A workflow is already moving it: do not start the same work a second time.
      assert.equal(instanceConditionOf(working), instanceConditionOf(done ?? 'active'), `${working} vs ${done}`);
    }
  });

  it('only a running condition is an instance that serves traffic once its work is done', () => {
    fc.assert(
      fc.property(fc.constantFrom(...instanceStates), (state) => {
        if (instanceServesTraffic(state)) assert.equal(instanceConditionOf(state), 'running');
        if (instanceConditionOf(state) === 'removed') assert.equal(checkAcceptsMembers(state).ok, false);
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
