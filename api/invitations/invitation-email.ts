import type { OutgoingMail } from '../../engine/ports/mailer.port.ts';

/** The email that carries an invitation link; plain text, in the words of the person receiving it. */
export function invitationEmail(input: {
  to: string;
  workspaceName: string;
  role: string;
  inviterName: string | null;
  acceptUrl: string;
  expiresAt: Date;
}): OutgoingMail {
  const who = input.inviterName ?? 'An administrator';
  return {
    to: input.to,
    subject: `${who} invited you to ${input.workspaceName} on OneMessage`,
    text: [
      `${who} invited you to join the workspace "${input.workspaceName}" on OneMessage as ${input.role}.`,
      '',
      'Open this link to accept (it works once, until ' + input.expiresAt.toUTCString() + '):',
      input.acceptUrl,
      '',
      'If you did not expect this invitation, ignore this email: nothing happens unless you open the link.',
    ].join('\n'),
  };
}
