import type { ChannelKind } from '../../engine/channels/channel-kind.ts';
import { InvariantError } from '../../engine/errors/invariant.error.ts';
import type { ChannelConnector } from '../../engine/ports/channel-connector.port.ts';

/** A connector and what the send worker may assume about it. */
export interface RegisteredConnector {
  connector: ChannelConnector;
  /**
   * True when sending the same message id twice reaches the contact once (the provider, or the
   * connector through a provider id derived from the message id, drops the repeat). Only then may
   * the worker resend after a crash that left the outcome of a previous attempt unknown; otherwise
   * the message is marked failed rather than risk a second delivery (at most once).
   */
  deduplicatesSends: boolean;
  /**
   * True when a channel of this kind may send only from the process that holds its session lease
   * (WhatsApp: one socket per number). The send worker then starts for such a channel only after
   * `SendWorker.hostChannel`, and stops at `releaseChannel`.
   */
  hostedByLease: boolean;
  /**
   * Sends of one channel in flight at once, across every process. Order within a conversation
   * holds at any value (a message waits for the earlier queued messages of its conversation);
   * a channel that must keep one pace for the whole number (WhatsApp) stays at 1.
   */
  sendsInFlightPerChannel: number;
  /**
   * True when the connector calls `handOver.handingOver()` itself just before the provider call
   * (it waits first: pacing, typing); the attempt is marked in flight from then on, instead of
   * from the claim.
   */
  marksHandOver: boolean;
}

/** How a connector is registered; see RegisteredConnector for what each option means. */
export interface ConnectorOptions {
  deduplicatesSends: boolean;
  hostedByLease?: boolean;
  sendsInFlightPerChannel?: number;
  marksHandOver?: boolean;
}

/**
 * The connectors this process can send with, one per channel kind. Built at the composition
 * root; a process without the connector for a kind runs no send workers for channels of it.
 */
export class ConnectorRegistry {
  private readonly byKind = new Map<ChannelKind, RegisteredConnector>();

  /**
   * Adds `connector` for its kind. A second one for the same kind, or a send limit that is not a
   * positive whole number, is a wiring bug of the composition root (its options are constants in
   * the code, not settings of the environment): an InvariantError, not a ConfigError.
   */
  register(connector: ChannelConnector, opts: ConnectorOptions): this {
    if (this.byKind.has(connector.kind))
      throw new InvariantError(`a connector for ${connector.kind} channels is already registered`, { kind: connector.kind });
    const sendsInFlightPerChannel = opts.sendsInFlightPerChannel ?? 1;
    if (!Number.isInteger(sendsInFlightPerChannel) || sendsInFlightPerChannel < 1)
      throw new InvariantError(`sendsInFlightPerChannel must be a positive whole number, got ${sendsInFlightPerChannel}`, {
        kind: connector.kind,
        sendsInFlightPerChannel,
      });
    this.byKind.set(connector.kind, {
      connector,
      deduplicatesSends: opts.deduplicatesSends,
      hostedByLease: opts.hostedByLease ?? false,
      sendsInFlightPerChannel,
      marksHandOver: opts.marksHandOver ?? false,
    });
    return this;
  }

  /** The connector for `kind`, if this process has one. */
  get(kind: ChannelKind): RegisteredConnector | undefined {
    return this.byKind.get(kind);
  }

  /**
   * The channel kinds whose connectors mark the hand-over themselves (`marksHandOver`): a claim
   * leaves their attempt unmarked, the connector marks it. The one list every claim uses.
   */
  selfMarkingKinds(): ChannelKind[] {
    return [...this.byKind.values()].filter((r) => r.marksHandOver).map((r) => r.connector.kind);
  }
}
