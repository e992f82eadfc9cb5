// The e-mails the portal sends about accounts. Delivery happens in the background: a request answers the same
// way and in about the same time whether or not it caused an e-mail, which is what keeps sign-up and password
// reset from revealing which addresses have accounts. Failures are logged (never with the link) and `flush()`
// waits for deliveries in flight (shutdown, tests).
import { shownLink } from '@photoplane/tenant-model';
import type { Transporter } from 'nodemailer';

export interface MailLogger {
  error(details: object, message: string): void;
}

export interface MailServiceOptions {
  transport: Pick<Transporter, 'sendMail' | 'close'>;
  from: string;
  /** The portal's public URL, no trailing slash; links point below it. */
  publicUrl: string;
  log: MailLogger;
}

interface Message {
  kind: string;
  to: string;
  subject: string;
  text: string;
}

/** A link by its first characters only: the e-mail must not carry a working link. */
function describeLink(block: { kind: string; hint: string }): string {
  return `the link ${shownLink(block.kind, block.hint)}`;
}

export function createMailService({ transport, from, publicUrl, log }: MailServiceOptions) {
  const inFlight = new Set<Promise<void>>();

  async function flush(): Promise<void> {
    while (inFlight.size) await Promise.all(inFlight);
  }

  function dispatch(message: Message): void {
    const { kind, ...mail } = message;
    const delivery = transport
      .sendMail({ from, ...mail })
      .then(() => undefined)
      .catch((err: unknown) => log.error({ err, kind }, 'e-mail delivery failed'))
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  // The token goes in the fragment: browsers never send it to a server, so it stays out of access logs and
  // Referer headers; the page reads it and posts it to the API.
  const link = (path: string, token: string) => `${publicUrl}${path}#token=${token}`;

  return {
    sendEmailVerification(to: string, token: string): void {
      dispatch({
        kind: 'email_verification',
        to,
        subject: 'Confirm your e-mail address for Photoplane',
        text: [
          'Welcome to Photoplane!',
          '',
          'Open this link to confirm your e-mail address:',
          link('/verify-email', token),
          '',
          'The link works once and expires in 24 hours. If you did not sign up, ignore this e-mail.',
        ].join('\n'),
      });
    },

    /** Sent instead of a verification link when someone signs up with an address that already has an account. */
    sendSignUpAttemptNotice(to: string): void {
      dispatch({
        kind: 'sign_up_attempt',
        to,
        subject: 'Someone tried to sign up to Photoplane with your e-mail address',
        text: [
          'Someone (maybe you) tried to create a Photoplane account with this e-mail address, which already has one.',
          '',
          `If it was you, sign in at ${publicUrl}/login, or reset your password at ${publicUrl}/reset-password.`,
          'If it was not you, you can ignore this e-mail: nothing about your account has changed.',
        ].join('\n'),
      });
    },

    sendPasswordReset(to: string, token: string): void {
      dispatch({
        kind: 'password_reset',
        to,
        subject: 'Reset your Photoplane password',
        text: [
          'Open this link to choose a new password:',
          link('/reset-password', token),
          '',
          'The link works once and expires in 1 hour. Choosing a new password signs you out everywhere.',
          'If you did not ask for this, ignore this e-mail: your password stays as it is.',
        ].join('\n'),
      });
    },

    /** To an instance's owner when support takes one of its shared links down at the edge (issue 14). */
    sendLinkBlocked(to: string, block: { subdomain: string; kind: string; hint: string; reason: string }): void {
      dispatch({
        kind: 'link_blocked',
        to,
        subject: `A shared link of your photo library ${block.subdomain} was blocked`,
        text: [
          `We blocked a shared link of your photo library ${block.subdomain} after a report: ${describeLink(block)}.`,
          '',
          `Why: ${block.reason}`,
          '',
          'Visitors following it now see a page saying it was taken down. Your photos, albums and other links are not',
          `affected. Your dashboard lists the links we blocked: ${publicUrl}/dashboard`,
          'If you think this is a mistake, reply to this e-mail.',
        ].join('\n'),
      });
    },

    sendLinkUnblocked(
      to: string,
      block: { subdomain: string; kind: string; hint: string; liftReason: string | null },
    ): void {
      dispatch({
        kind: 'link_unblocked',
        to,
        subject: `A shared link of your photo library ${block.subdomain} works again`,
        text: [
          `We lifted the block on a shared link of your photo library ${block.subdomain}: ${describeLink(block)}.`,
          ...(block.liftReason ? ['', `Why: ${block.liftReason}`] : []),
          '',
          'Visitors following it reach your library again, as the link allows.',
        ].join('\n'),
      });
    },

    /**
     * To an instance's owner the first time the edge refuses one of its links for breaking the plan's link policy
     * (issue 14): which link, which rule, and how to share within it.
     */
    sendLinkRefused(to: string, refusal: { subdomain: string; kind: string; hint: string; rule: string }): void {
      dispatch({
        kind: 'link_refused',
        to,
        subject: `A shared link of your photo library ${refusal.subdomain} does not meet your plan's rules`,
        text: [
          `Someone followed ${describeLink(refusal)} of your photo library ${refusal.subdomain}, and we did not let`,
          'them in:',
          '',
          refusal.rule,
          '',
          'Visitors following that link see a page saying so. To share those photos, make a new link in your photo',
          'app that meets the rule (or change the link: give it a password or an earlier expiry), and send the new',
          'link. Your other links, photos and albums are not affected.',
        ].join('\n'),
      });
    },

    flush,

    async close(): Promise<void> {
      await flush();
      transport.close();
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
