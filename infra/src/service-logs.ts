// How `npm start` shows the portal's and the worker's pino logs: readable in a terminal (pino-pretty, one line per
// record, tagged with the service), as the JSON they are anywhere else. The log files keep the JSON either way.
import { prettyFactory } from 'pino-pretty';

export function serviceEcho(
  service: string,
  {
    isTerminal = process.stdout.isTTY === true,
    write = (text: string) => void process.stdout.write(text),
  }: { isTerminal?: boolean; write?: (text: string) => void } = {},
): (line: string) => void {
  if (!isTerminal) return (line) => write(`${line}\n`);
  const pretty = prettyFactory({
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    messageFormat: `[${service}] {msg}`,
  });
  // A line that is not JSON (a crash before the logger existed) comes back as it was.
  return (line) => write(pretty(line));
}
