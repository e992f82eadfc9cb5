import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  desiredInstanceFor,
  graceDeadline,
  isSubscriptionTerminal,
  retentionDeadline,
  subscriptionEvents,
  subscriptionStates,
  subscriptionTransitions,
  transitionSubscription,
  type SubscriptionEvent,
  type SubscriptionState,
} from './subscription.ts';
import { isDomainError } from './errors.ts';

function run(from: SubscriptionState, events: SubscriptionEvent[]): SubscriptionState {
  return events.reduce(transitionSubscription, from);
}

describe('subscription states', () => {
  it('P7: failed payment -> past due -> grace expired -> suspended -> paid -> active', () => {
    assert.equal(run('incomplete', ['checkout_completed', 'payment_failed']), 'past_due');
    assert.equal(run('past_due', ['grace_expired']), 'suspended');
    assert.equal(run('suspended', ['payment_succeeded']), 'active');
  });

  it('P8: cancelled keeps running until period end, then retained, then ended unless reactivated', () => {
    assert.equal(run('active', ['cancel_requested']), 'cancelled');
    assert.equal(desiredInstanceFor('cancelled'), 'running');
    assert.equal(run('cancelled', ['period_ended']), 'retained');
    assert.equal(desiredInstanceFor('retained'), 'stopped');
    assert.equal(run('retained', ['reactivated']), 'active');
    assert.equal(run('retained', ['retention_expired']), 'ended');
    assert.equal(desiredInstanceFor('ended'), 'removed');
  });

  it('an illegal event is refused with illegal_transition naming state and event', () => {
    assert.throws(
      () => transitionSubscription('incomplete', 'grace_expired'),
      (error: unknown) =>
        isDomainError(error, 'illegal_transition') &&
        error.details.from === 'incomplete' &&
        error.details.event === 'grace_expired',
    );
    assert.throws(
      () => transitionSubscription('active', 'retention_expired'),
      (e: unknown) => isDomainError(e, 'illegal_transition'),
    );
  });

  it('the transition table only leads to declared states, and every state is reachable from incomplete', () => {
    const reached = new Set<SubscriptionState>(['incomplete']);
    const queue: SubscriptionState[] = ['incomplete'];
    for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
      for (const to of Object.values(subscriptionTransitions[state]) as SubscriptionState[]) {
        assert.ok(subscriptionStates.includes(to), `${state} leads to undeclared ${to}`);
        if (!reached.has(to)) {
          reached.add(to);
          queue.push(to);
        }
      }
    }
    assert.deepEqual([...reached].sort(), [...subscriptionStates].sort());
  });

  it('only ended is terminal', () => {
    assert.deepEqual(subscriptionStates.filter(isSubscriptionTerminal), ['ended']);
  });

  // The rules of billing, each stated on its own terms (not read back from the table), over random walks of events
  // from a new subscription: every event is either applied or refused, and a refusal changes nothing.
  function walk(
    events: SubscriptionEvent[],
    step: (from: SubscriptionState, event: SubscriptionEvent, to: SubscriptionState) => void,
  ) {
    let state: SubscriptionState = 'incomplete';
    for (const event of events) {
      let to: SubscriptionState = state;
      try {
        to = transitionSubscription(state, event);
      } catch (error) {
        assert.ok(isDomainError(error, 'illegal_transition'), String(error));
      }
      step(state, event, to);
      state = to;
    }
  }
  const events = fc.array(fc.constantFrom(...subscriptionEvents), { maxLength: 60 });

  it('P7: a failed payment alone never stops the instance; only the end of grace (or of the period) does', () => {
    fc.assert(
      fc.property(events, (seq) =>
        walk(seq, (from, event, to) => {
          if (event === 'payment_failed' && to !== from) assert.equal(desiredInstanceFor(to), 'running');
          if (desiredInstanceFor(from) === 'running' && desiredInstanceFor(to) === 'stopped')
            assert.ok(event === 'grace_expired' || event === 'period_ended', `${from} --${event}--> ${to}`);
        }),
      ),
    );
  });

  it('P7/P8: an accepted payment or reactivation always brings the subscription back to active', () => {
    fc.assert(
      fc.property(events, (seq) =>
        walk(seq, (from, event, to) => {
          if ((event === 'payment_succeeded' || event === 'reactivated') && to !== from) assert.equal(to, 'active');
          if (event === 'payment_succeeded' && from === 'active') assert.equal(to, 'active');
        }),
      ),
    );
  });

  it('P8: photos are never removed from a running instance in one step: ended comes only after retention or an unpaid checkout', () => {
    fc.assert(
      fc.property(events, (seq) =>
        walk(seq, (from, event, to) => {
          if (to !== 'ended' || from === 'ended') return;
          assert.ok(
            (from === 'retained' && event === 'retention_expired') ||
              (from === 'incomplete' && event === 'checkout_expired'),
            `${from} --${event}--> ended`,
          );
          assert.notEqual(desiredInstanceFor(from), 'running');
        }),
      ),
    );
  });

  it('P5: a redelivered event is harmless: applying it twice ends where applying it once did', () => {
    fc.assert(
      fc.property(fc.constantFrom(...subscriptionStates), fc.constantFrom(...subscriptionEvents), (from, event) => {
        let once: SubscriptionState;
        try {
          once = transitionSubscription(from, event);
        } catch {
          return;
        }
        let twice = once;
        try {
          twice = transitionSubscription(once, event);
        } catch {
          // refused the second time: nothing changed
        }
        assert.equal(twice, once);
      }),
    );
  });

  it('ended stays ended: every event after it is refused', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...subscriptionEvents), { minLength: 1, maxLength: 20 }), (events) => {
        for (const event of events) assert.throws(() => transitionSubscription('ended', event));
      }),
    );
  });

  it('grace (default 7 days) and retention (default 30 days) deadlines count from the given instant', () => {
    const since = Date.UTC(2025, 0, 1);
    assert.equal(graceDeadline(since).toISOString(), '2025-01-08T00:00:00.000Z');
    assert.equal(retentionDeadline(new Date(since)).toISOString(), '2025-01-31T00:00:00.000Z');
    assert.equal(graceDeadline(since, 3).toISOString(), '2025-01-04T00:00:00.000Z');
  });
});
