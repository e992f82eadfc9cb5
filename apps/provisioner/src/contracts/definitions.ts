// Signal and query definitions as plain data, so the portal can use them without importing @temporalio/workflow
// (they are what its defineSignal/defineQuery return: a type tag and a name; the type parameters are virtual).
import type { QueryDefinition, SignalDefinition } from '@temporalio/common';

export function signalDefinition<Args extends unknown[] = [], Name extends string = string>(
  name: Name,
): SignalDefinition<Args, Name> {
  return { type: 'signal', name } as SignalDefinition<Args, Name>;
}

export function queryDefinition<Ret, Name extends string = string>(name: Name): QueryDefinition<Ret, [], Name> {
  return { type: 'query', name } as QueryDefinition<Ret, [], Name>;
}
