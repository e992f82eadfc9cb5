// Text that users choose (a member's name, the owner's name) goes into e-mails sent from the operator's domain to
// addresses those users choose. Made inert before it is put in a mail body: one line (no forged paragraphs), no
// control, bidirectional or invisible characters (no reordered or hidden text), no clickable address (a mail
// client would turn "evil.example" or "https://…" into a link the operator seems to vouch for), and bounded length.

const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
const SCHEME = /\b([a-z][a-z0-9+.-]*):\/\//gi;
// Two labels joined by a dot with no space: what mail clients autolink as a host name.
const HOSTLIKE = /([\p{L}\p{N}-])\.(?=[\p{L}\p{N}-])/gu;

/** `value` as one short, inert line of plain text, at most `max` characters (an ellipsis marks a cut). */
export function mailText(value: string, max = 60): string {
  const flat = value.replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
  const defanged = flat.replace(SCHEME, '$1: ').replace(HOSTLIKE, '$1 .');
  const chars = [...defanged];
  return chars.length <= max
    ? defanged
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}
