import nodemailer, { type Transporter } from 'nodemailer';
import type { Mailer, OutgoingMail } from '../../engine/ports/mailer.port.ts';

/**
 * Bounds every phase of an SMTP exchange: a request that sends an invitation waits for the
 * server's answer, and nodemailer's own defaults wait up to ten minutes.
 */
const SMTP_TIMEOUT_MS = 10_000;

/** The Mailer port over SMTP (nodemailer), from `SMTP_URL` and `SMTP_FROM`. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(smtp: { url: string; from: string }) {
    // nodemailer reads host, port, TLS and credentials from the URL (`smtps://user:pass@host:465`).
    this.transport = nodemailer.createTransport(
      { url: smtp.url, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS },
      { from: smtp.from },
    );
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({ to: mail.to, subject: mail.subject, text: mail.text });
  }
}
