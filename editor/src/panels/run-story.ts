import { findNodeDefinition } from '../../../engine/flows/node-catalog.ts';
import type { RunDetail, RunSummary } from '../api/api-types.ts';

/** One line of a run told as a conversation. */
export interface StoryLine {
  /** Who speaks: the contact wrote, the bot wrote, or the flow did something. */
  who: 'contact' | 'bot' | 'flow' | 'error';
  text: string;
  /** The step this line tells of (for "Show data"); null for the starting message. */
  seq: number | null;
}

const record = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});
const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** What an error value says, in words. */
function errorText(error: unknown): string {
  const e = record(error);
  return typeof e.message === 'string' ? e.message : typeof error === 'string' ? error : 'the step failed';
}

/** The contact and the starting message of a run, for the runs list: "Test contact (+999…): “hi”". */
export function runHeadline(run: RunSummary): string {
  const who = run.contactName ?? run.contactPhone ?? 'No contact';
  const phone = run.contactName && run.contactPhone ? ` (${run.contactPhone})` : '';
  const said = run.triggerText ? `: “${run.triggerText}”` : '';
  return `${who}${phone}${said}`;
}

const STATUS_WORDS: Record<string, string> = {
  running: 'running',
  waiting: 'waiting',
  completed: 'finished',
  failed: 'failed',
  stopped: 'stopped',
};

/** A run's status in words, with the version it ran. */
export function runStatusText(run: RunSummary): string {
  const version = run.draftTest ? 'draft test' : `v${run.version}`;
  return `${STATUS_WORDS[run.status] ?? run.status} · ${version} · ${run.stepCount} ${run.stepCount === 1 ? 'step' : 'steps'}`;
}

/**
 * A run told as a conversation: who wrote what, which way each decision went, what was set, and
 * where it stopped, with each node called by its name. Raw inputs and outputs stay behind the
 * panel's "Show data" toggle.
 */
export function runStory(run: RunDetail, nodeLabel: (nodeId: string) => string): StoryLine[] {
  const lines: StoryLine[] = [];
  const trigger = record(run.trigger);
  const startMessage = record(trigger.message);
  for (const step of run.steps) {
    const name = nodeLabel(step.nodeId);
    // A step with effects (a send, a tag) keeps its node's output under `result`.
    const stored = record(step.output);
    const out = 'result' in stored && 'effects' in stored ? record(stored.result) : stored;
    const kind = findNodeDefinition(step.nodeType);
    if (step.error !== null && step.error !== undefined) {
      lines.push({ who: 'error', text: `${name} failed: ${errorText(step.error)}`, seq: step.seq });
      continue;
    }
    switch (step.nodeType) {
      case 'message_received': {
        const text = record(out.message).text ?? startMessage.text;
        lines.push({ who: 'contact', text: typeof text === 'string' ? text : '(a message without text)', seq: step.seq });
        lines.push({ who: 'flow', text: `Started by “${name}”.`, seq: step.seq });
        break;
      }
      case 'send_message':
        lines.push({ who: 'bot', text: typeof out.text === 'string' ? out.text : '(a message)', seq: step.seq });
        break;
      case 'ask_question':
        if (typeof out.asked === 'string') lines.push({ who: 'bot', text: out.asked, seq: step.seq });
        if ('answer' in out)
          lines.push(
            { who: 'contact', text: str(out.answer), seq: step.seq },
            { who: 'flow', text: `“${name}” accepted the answer.`, seq: step.seq },
          );
        if (typeof out.refused === 'string')
          lines.push({ who: 'flow', text: `“${name}” did not accept the answer: ${out.refused}.`, seq: step.seq });
        break;
      case 'wait_for_reply':
        if (typeof out.reply === 'string') lines.push({ who: 'contact', text: out.reply, seq: step.seq });
        else lines.push({ who: 'flow', text: `Waiting for a reply at “${name}”.`, seq: step.seq });
        break;
      case 'set_contact_attribute':
        lines.push({ who: 'flow', text: `Set ${str(out.key)} to “${str(out.value)}”.`, seq: step.seq });
        break;
      case 'add_tag':
        lines.push({ who: 'flow', text: `Added the tag “${str(out.tag)}”.`, seq: step.seq });
        break;
      case 'remove_tag':
        lines.push({ who: 'flow', text: `Removed the tag “${str(out.tag)}”.`, seq: step.seq });
        break;
      case 'delay':
        lines.push({
          who: 'flow',
          text: `Waiting at “${name}” until ${typeof out.dueAt === 'string' ? new Date(out.dueAt).toLocaleString() : 'later'}.`,
          seq: step.seq,
        });
        break;
      default:
        lines.push({
          who: 'flow',
          text: step.port
            ? `“${name}” went the “${portLabel(step.nodeType, step.port)}” way.`
            : `“${name}”${kind ? '' : ' (unknown node)'} ran.`,
          seq: step.seq,
        });
    }
  }
  if (run.status === 'stopped' && run.stopReason) lines.push({ who: 'error', text: `Stopped: ${run.stopReason}.`, seq: null });
  if (run.status === 'completed') lines.push({ who: 'flow', text: 'The run finished.', seq: null });
  return lines;
}

/** A port's label as the node shows it ("true" → "Yes" where the catalog names it). */
function portLabel(nodeType: string, port: string): string {
  const definition = findNodeDefinition(nodeType);
  if (!definition) return port;
  const parsed = definition.configSchema.safeParse(definition.defaultConfig);
  const ports = parsed.success ? definition.outputs(parsed.data) : [];
  return ports.find((p) => p.id === port)?.label ?? port;
}
