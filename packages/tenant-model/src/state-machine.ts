import { DomainError } from './errors.ts';

/** A transition table: for each state, the events it accepts and where each leads. Absent = illegal. */
export type TransitionTable<S extends string, E extends string> = {
  readonly [K in S]: Partial<Readonly<Record<E, S>>>;
};

export function nextState<S extends string, E extends string>(
  machine: string,
  table: TransitionTable<S, E>,
  from: S,
  event: E,
): S {
  const to = table[from][event];
  if (to === undefined) {
    throw new DomainError('illegal_transition', `${machine}: '${event}' is not allowed in state '${from}'`, {
      field: 'state',
      from,
      event,
    });
  }
  return to;
}

export function isTerminal<S extends string, E extends string>(table: TransitionTable<S, E>, state: S): boolean {
  return Object.keys(table[state]).length === 0;
}

export function eventsAllowedIn<S extends string, E extends string>(table: TransitionTable<S, E>, state: S): E[] {
  return Object.keys(table[state]) as E[];
}
