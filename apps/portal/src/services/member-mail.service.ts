// The e-mails sent about instance members (SPEC M2): the invitation with its single-use link. Same delivery model
// as mail.service.ts: in the background, failures logged without the link, `flush()` for shutdown and tests.
import type { Transporter } from 'nodemailer';
import type { MailLogger } from './mail.service.ts';
import { mailText } from './mail-text.ts';

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

  return {
    /** The link opens the instance's own sign-up page; the token sits in the fragment, out of server logs. */
    sendInvitation(input: {
      to: string;
      name: string;
      subdomain: string;
      invitedBy: string;
      token: string;
      expiresAt: Date;
    }): void {
      const link = `${instanceUrl(input.subdomain)}/photoplane/register#token=${input.token}`;
      const delivery = transport
        .sendMail({
          from,
          to: input.to,
          subject: `You are invited to ${input.subdomain}'s photo library`,
          text: [
            // Both names are chosen by users: made inert and short (mail-text.ts).
            `Hello ${mailText(input.name)},`,
            '',
            `${mailText(input.invitedBy)} has created an account for you on their photo library at ${instanceUrl(input.subdomain)}.`,
            'Open this link to choose your password:',
            link,
            '',
            `The link works once and expires on ${input.expiresAt.toISOString()}.`,
          ].join('\n'),
        })
        .then(() => undefined)
        .catch((err: unknown) => log.error({ err, kind: 'member_invitation' }, 'e-mail delivery failed'))
        .finally(() => inFlight.delete(delivery));
      inFlight.add(delivery);
    },

    flush,

    async close(): Promise<void> {
      await flush();
      transport.close();
    },
  };
}

export type MemberMailService = ReturnType<typeof createMemberMailService>;
