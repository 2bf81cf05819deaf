import { AppError } from './app-error.ts';

/** What sends a template and so keeps it from being deleted. */
export interface TemplateUsers {
  /** Flows whose published version sends it (active or not). */
  flows: readonly { id: string; name: string }[];
  /** Broadcasts scheduled, running or paused that send it. */
  broadcasts: readonly { id: string; name: string }[];
  /** Canned responses (quick replies) that insert it. */
  cannedResponses: readonly { id: string; shortcut: string }[];
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/** "the published version of the flow "A"" and what to do about it, per kind of user. */
function usesOf(users: TemplateUsers): { uses: string[]; remedies: string[] } {
  const uses: string[] = [];
  const remedies: string[] = [];
  const { flows, broadcasts, cannedResponses } = users;
  if (flows.length > 0) {
    const one = flows.length === 1;
    uses.push(`the published version of ${one ? 'the flow' : `${flows.length} flows:`} ${quoted(flows.map((f) => f.name))}`);
    remedies.push(`use another template in ${one ? 'it' : 'them'} and publish again, or delete ${one ? 'that flow' : 'those flows'}`);
  }
  if (broadcasts.length > 0) {
    const one = broadcasts.length === 1;
    uses.push(`${one ? 'the broadcast' : `${broadcasts.length} broadcasts:`} ${quoted(broadcasts.map((b) => b.name))}, not finished yet`);
    remedies.push(`let ${one ? 'it' : 'them'} finish or cancel ${one ? 'it' : 'them'}`);
  }
  if (cannedResponses.length > 0) {
    const one = cannedResponses.length === 1;
    uses.push(
      `${one ? 'the canned response' : `${cannedResponses.length} canned responses:`} ${quoted(cannedResponses.map((c) => `/${c.shortcut}`))}`,
    );
    remedies.push(`give ${one ? 'it' : 'them'} a text or another template, or delete ${one ? 'it' : 'them'}`);
  }
  return { uses, remedies };
}

/**
 * A template is sent by the published version of a flow, by a broadcast not finished yet, or by
 * a canned response: deleting it would leave them sending a template nobody can see or edit any
 * more. The caller must change or delete those first; details list them.
 */
export class TemplateInUseError extends AppError {
  readonly code = 'template_in_use';
  readonly disposition = 'user';
  readonly flows: TemplateUsers['flows'];
  readonly broadcasts: TemplateUsers['broadcasts'];
  readonly cannedResponses: TemplateUsers['cannedResponses'];
  constructor(
    readonly templateName: string,
    users: TemplateUsers,
  ) {
    const { uses, remedies } = usesOf(users);
    super(`the template "${templateName}" is used by ${uses.join(' and by ')}: ${remedies.join('; ')}, then delete the template`, {
      details: { flows: users.flows, broadcasts: users.broadcasts, cannedResponses: users.cannedResponses },
    });
    this.flows = users.flows;
    this.broadcasts = users.broadcasts;
    this.cannedResponses = users.cannedResponses;
  }
}
