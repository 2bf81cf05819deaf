/** Fake ports and run facts for the unit tests of engine/runs: no database, no Redis, no network, no real clock. */
import type { SecretResolver } from '../ports/secret-resolver.port.ts';
import type { FlowHttpPort, NodeContext } from './node-executor.ts';
import type { RunFacts, RunState } from './run-types.ts';

/** 2025-01-15T10:00:00Z, a Wednesday: inside the default business hours in UTC. */
export const WEDNESDAY_10_UTC = new Date('2025-01-15T10:00:00.000Z');

/** A clock that moves only when told to: `tick` advances it, every `now()` reads the same instant until then. */
export class FakeClock {
  private ms: number;
  constructor(start: Date = WEDNESDAY_10_UTC) {
    this.ms = start.getTime();
  }
  now = (): Date => new Date(this.ms);
  tick(ms: number): void {
    this.ms += ms;
  }
}

/** An HTTP port that refuses every call: executors that must not call out fail loudly. */
export const noHttp: FlowHttpPort = { request: () => Promise.reject(new Error('no HTTP call is expected in this test')) };

/** A secret resolver that holds no secret and records nothing. */
export const noSecrets: SecretResolver = { resolve: async () => new Map() };

/** Sam, with a plan attribute and one tag, writing "hi" on a sandbox conversation of a UTC workspace. */
export function runFacts(overrides: Partial<RunFacts> = {}): RunFacts {
  return {
    contact: { id: 'contact-1', phone: '+15550001111', name: 'Sam', attributes: { plan: 'pro' }, tags: ['vip'] },
    message: { id: 'message-1', text: 'hi', type: 'text' },
    conversation: { id: 'conversation-1', channelId: 'channel-1', status: 'bot' },
    trigger: {},
    workspace: { id: 'workspace-1', timezone: 'UTC', businessHours: null },
    ...overrides,
  };
}

export function emptyState(): RunState {
  return { vars: {}, attempts: {} };
}

/** What a node executor sees, at WEDNESDAY_10_UTC unless `now` says otherwise. */
export function nodeContext(overrides: Partial<NodeContext> = {}): NodeContext {
  return {
    nodeId: 'n1',
    facts: runFacts(),
    state: emptyState(),
    now: WEDNESDAY_10_UTC,
    random: () => 0,
    http: noHttp,
    secrets: noSecrets,
    templates: new Map(),
    ...overrides,
  };
}
