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

  it('random event sequences stay within the table: each step is the table entry or a refusal that changes nothing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...subscriptionStates),
        fc.array(fc.constantFrom(...subscriptionEvents), { maxLength: 40 }),
        (start, events) => {
          let state = start;
          for (const event of events) {
            const expected = (subscriptionTransitions[state] as Partial<Record<SubscriptionEvent, SubscriptionState>>)[
              event
            ];
            try {
              state = transitionSubscription(state, event);
              assert.equal(state, expected);
            } catch (error) {
              assert.ok(isDomainError(error, 'illegal_transition'));
              assert.equal(expected, undefined);
            }
            assert.ok(subscriptionStates.includes(state));
          }
        },
      ),
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
