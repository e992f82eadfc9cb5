// The e-mails sent about instance members (SPEC M2, issue 10): the invitation with its single-use link, and the
// "forgot password" link. Same delivery model as mail.service.ts: in the background, failures logged without the
// link, `flush()` for shutdown and tests. Links carry their token in the fragment, out of every server's logs.
import type { Transporter } from 'nodemailer';
import type { MailLogger } from '../platform/mail.service.ts';
import { mailText } from '../platform/mail-text.ts';

export interface MemberMailServiceOptions {
  transport: Pick<Transporter, 'sendMail' | 'close'>;
  from: string;
  /** The instance's public address, no trailing slash, e.g. https://smith.photos.example.com. */
  instanceUrl: (subdomain: string) => string;
  log: MailLogger;
}

export function createMemberMailService({ transport, from, instanceUrl, log }: MemberMailServiceOptions) {
  const inFlight = new Set<Promise<void>>();

  async function flush(): Promise<void> {
    while (inFlight.size) await Promise.all(inFlight);
  }

  function dispatch(kind: string, message: { to: string; subject: string; text: string[] }): void {
    const delivery = transport
      .sendMail({ from, to: message.to, subject: message.subject, text: message.text.join('\n') })
      .then(() => undefined)
      .catch((err: unknown) => log.error({ err, kind }, 'e-mail delivery failed'))
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  return {
    /** The link opens the instance's own sign-up page. */
    sendInvitation(input: {
      to: string;
      name: string;
      subdomain: string;
      invitedBy: string;
      token: string;
      expiresAt: Date;
    }): void {
      dispatch('member_invitation', {
        to: input.to,
        subject: `You are invited to ${input.subdomain}'s photo library`,
        text: [
          // Both names are chosen by users: made inert and short (mail-text.ts).
          `Hello ${mailText(input.name)},`,
          '',
          `${mailText(input.invitedBy)} has created an account for you on their photo library at ${instanceUrl(input.subdomain)}.`,
          'Open this link to choose your password:',
          `${instanceUrl(input.subdomain)}/photoplane/register#token=${input.token}`,
          '',
          `The link works once and expires on ${input.expiresAt.toISOString()}.`,
        ],
      });
    },

    /** The member asked for it at their instance's sign-in page; the link opens that instance's reset page. */
    sendPasswordReset(input: { to: string; name: string; subdomain: string; token: string; expiresAt: Date }): void {
      dispatch('member_password_reset', {
        to: input.to,
        subject: `Reset your password for ${input.subdomain}'s photo library`,
        text: [
          `Hello ${mailText(input.name)},`,
          '',
          `Open this link to choose a new password for the photo library at ${instanceUrl(input.subdomain)}:`,
          `${instanceUrl(input.subdomain)}/photoplane/reset#token=${input.token}`,
          '',
          `The link works once and expires on ${input.expiresAt.toISOString()}. Choosing a new password signs you`,
          'out on every device. If you did not ask for this, ignore this e-mail: your password stays as it is.',
        ],
      });
    },

    flush,

    async close(): Promise<void> {
      await flush();
      transport.close();
    },
  };
}

export type MemberMailService = ReturnType<typeof createMemberMailService>;
