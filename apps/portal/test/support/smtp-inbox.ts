// A real SMTP server in the test process (smtp-server on 127.0.0.1, a free port) that keeps every message it
// receives, parsed, one entry per recipient: the portal's mail goes out through nodemailer and is read back here.
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface SmtpInbox {
  port: number;
  /** Messages received so far; tests may take messages out of it. */
  inbox: Mail[];
  /** A nodemailer transport that delivers to this server (no TLS: loopback only). */
  transport(): Transporter;
  close(): Promise<void>;
}

export async function startSmtpInbox(): Promise<SmtpInbox> {
  const inbox: Mail[] = [];
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          for (const rcpt of session.envelope.rcptTo)
            inbox.push({ to: rcpt.address, subject: parsed.subject ?? '', text: parsed.text ?? '' });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    port,
    inbox,
    transport: () => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }),
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
