import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import type { ChannelKind } from '../../engine/channels/channel-kind.ts';
import type { ChannelConnector } from '../../engine/ports/channel-connector.port.ts';
import { BatchSender } from './batch-sender.ts';
import { ConnectorRegistry } from './connector-registry.ts';

const connector = (kind: ChannelKind): ChannelConnector => ({ kind, send: async () => ({ providerMessageId: 'p' }) });

function registry(): ConnectorRegistry {
  return new ConnectorRegistry()
    .register(connector('sandbox'), { deduplicatesSends: true })
    .register(connector('whatsapp'), { deduplicatesSends: false, marksHandOver: true });
}

describe('when connectors mark the hand-over themselves', () => {
  it('lists exactly the kinds registered with marksHandOver', () => {
    expect(registry().selfMarkingKinds()).toEqual(['whatsapp']);
    expect(new ConnectorRegistry().register(connector('webhook'), { deduplicatesSends: true }).selfMarkingKinds()).toEqual([]);
  });

  // The batch sender and the single send job each built this list; claimed metadata must follow the registry.
  it('gives an already claimed message of such a kind no in-flight mark, and marks the others', () => {
    const sender = new BatchSender({
      orm: null as never,
      connectors: registry(),
      logger: null as never,
      clock: { now: () => new Date(0) },
    });
    const at = new Date('2026-01-01T00:00:00.000Z');
    expect(sender.claimedMetadata('whatsapp', at)).toEqual({ attempts: 1 });
    expect(sender.claimedMetadata('sandbox', at)).toEqual({ attempts: 1, inFlightSince: at.toISOString() });
  });
});

describe('when the composition root registers connectors wrongly', () => {
  it('refuses a second connector for the same kind as a broken invariant', () => {
    const register = () => registry().register(connector('sandbox'), { deduplicatesSends: true });
    expect(register).toThrow(InvariantError);
    expect(register).toThrow('a connector for sandbox channels is already registered');
  });

  it('refuses a send limit that is not a positive whole number as a broken invariant', () => {
    const register = () => new ConnectorRegistry().register(connector('webhook'), { deduplicatesSends: true, sendsInFlightPerChannel: 0 });
    expect(register).toThrow(InvariantError);
    expect(register).toThrow('sendsInFlightPerChannel must be a positive whole number, got 0');
  });
});
