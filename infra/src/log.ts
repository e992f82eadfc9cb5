// Status lines for people watching `npm start` / `npm test`: one component tag, one sentence.
export function say(component: string, message: string): void {
  process.stderr.write(`[stack:${component}] ${message}\n`);
}
