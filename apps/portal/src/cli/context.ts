// What every `photoplane` command gets: the support API (opened from the stored session when a command needs it),
// the session store, and the terminal.
import type { SupportApi } from './api-client.ts';
import type { SessionStore } from './session-store.ts';

export interface CliIo {
  out(text: string): void;
  /** The whole of standard input, as lines (passwd and login read from it when it is not a terminal). */
  readStdinLines(): Promise<string[]>;
  /** Asks on the terminal; null when standard input is not a terminal. `hidden` does not echo (passwords). */
  prompt(question: string, hidden: boolean): Promise<string | null>;
}

export interface CliContext {
  /** The support API as the signed-in member of staff; refuses (exit 1) when nobody is signed in. */
  api(): Promise<SupportApi>;
  store: SessionStore;
  defaultUrl: string | undefined;
  io: CliIo;
}

export type Command = (ctx: CliContext, subcommand: string | undefined, args: string[]) => Promise<void>;
