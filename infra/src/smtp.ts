// The SMTP catcher of `npm start`: a real SMTP server (smtp-server) on 127.0.0.1 that accepts every message, keeps
// it as an .eml file in the data folder, and says who got what, so sign-up and invitation links can be followed
// without a real mail provider. Tests run their own SMTP server in the test process instead.
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { say } from './log.ts';
import { portAnswers } from './process.ts';

export interface SmtpCatcher {
  readonly url: string;
  readonly mailDir: string;
  stop(): Promise<void>;
}

export async function startSmtpCatcher(opts: { port: number; mailDir: string }): Promise<SmtpCatcher> {
  if (await portAnswers(opts.port)) throw new Error(`port ${opts.port} is already in use (another SMTP server?)`);
  fs.mkdirSync(opts.mailDir, { recursive: true });
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    // Loopback only and no TLS: nodemailer is configured with ignoreTLS for this catcher.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      // Read the envelope now: the session moves on once the message is accepted.
      const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const file = path.join(opts.mailDir, `${Date.now()}-${++count}.eml`);
        fs.writeFileSync(file, raw);
        void simpleParser(raw).then(
          (mail) => {
            say('mail', `to ${to}: "${mail.subject ?? ''}" (${file})`);
          },
          () => undefined,
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const url = `smtp://127.0.0.1:${opts.port}`;
  say('mail', `SMTP catcher on ${url}, messages kept in ${opts.mailDir}`);
  return { url, mailDir: opts.mailDir, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
