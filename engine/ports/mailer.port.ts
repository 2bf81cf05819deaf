/** One plain-text email. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** Sends email (an SMTP server in production, a recording fake in tests). Rejects when the message was not accepted. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}
