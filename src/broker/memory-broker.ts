import type { ClientInfo, Publication, StreamPosition } from '../protocol/index.js';
import type { Broker, HistoryQuery, HistoryResult, PresenceStats, PublishOptions } from './broker.js';
import type { NamespaceRegistry } from './channel-name.js';
import type { FanoutSink } from './fanout.js';
import { MemoryHistory, type HistoryLimits, type HistoryStats, type StoredPublication } from './memory-history.js';
import { MemoryPresence } from './memory-presence.js';

export interface MemoryBrokerOptions {
  namespaces: NamespaceRegistry;
  fanout: FanoutSink;
  limits: Partial<HistoryLimits> & Pick<HistoryLimits, 'maxBytes'>;
  /** Called once per publication with its namespace (for metrics). */
  onPublished?: (namespace: string) => void;
}

/**
 * The embedded broker: history, positions and presence in this process. A publication is
 * appended and fanned out in the same synchronous step, so its offset order is delivery order.
 */
export class MemoryBroker implements Broker {
  private readonly history_: MemoryHistory;
  private readonly presence_ = new MemoryPresence();
  private readonly namespaces: NamespaceRegistry;
  private readonly fanout: FanoutSink;
  private readonly onPublished: (namespace: string) => void;

  constructor(options: MemoryBrokerOptions) {
    this.namespaces = options.namespaces;
    this.fanout = options.fanout;
    this.onPublished = options.onPublished ?? (() => {});
    this.history_ = new MemoryHistory({ maxStreams: 100_000, streamIdleTtlMs: 24 * 3_600_000, ...options.limits });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.history_.clear();
    this.presence_.clear();
  }

  async publish(channel: string, data: unknown, options: PublishOptions = {}): Promise<StreamPosition | undefined> {
    return this.publishSync(channel, data, options);
  }

  /** The same as publish(), for in-process pipelines that need no promise per publication. */
  publishSync(channel: string, data: unknown, options: PublishOptions = {}): StreamPosition | undefined {
    const ns = this.namespaces.resolve(channel).options;
    let position: StreamPosition | undefined;
    let pub: Publication;
    if (ns.historySize > 0) {
      // Made with its offset field, so history stores this very object (append sets the offset).
      const stored: StoredPublication = { data, offset: 0 };
      if (options.info) stored.info = options.info;
      if (options.tags) stored.tags = options.tags;
      position = this.history_.append(channel, stored, options.bytes, ns);
      pub = stored;
    } else {
      pub = { data };
      if (options.info) pub.info = options.info;
      if (options.tags) pub.tags = options.tags;
    }
    this.fanout.publication(channel, pub);
    this.onPublished(ns.name);
    return position;
  }

  /** Every publication of this process reaches its fan-out: nothing to subscribe to. */
  async subscribe(): Promise<void> {}

  async unsubscribe(): Promise<void> {}

  /** Publications reach the fan-out before publish() returns. */
  async sync(): Promise<void> {}

  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const ns = this.namespaces.resolve(channel).options;
    return this.history_.read(channel, query, ns);
  }

  async removeHistory(channel: string): Promise<void> {
    this.history_.remove(channel, this.namespaces.resolve(channel).options.name);
  }

  shedHistory(keep: number): number {
    return this.history_.shed(keep);
  }

  historyStats(): HistoryStats {
    return this.history_.stats();
  }

  async addPresence(channel: string, info: ClientInfo): Promise<void> {
    this.presence_.add(channel, info);
  }

  async removePresence(channel: string, client: string): Promise<void> {
    this.presence_.remove(channel, client);
  }

  async presence(channel: string): Promise<Record<string, ClientInfo>> {
    return this.presence_.get(channel);
  }

  async presenceStats(channel: string): Promise<PresenceStats> {
    return this.presence_.stats(channel);
  }

  async publishJoin(channel: string, info: ClientInfo): Promise<void> {
    this.fanout.join(channel, info);
  }

  async publishLeave(channel: string, info: ClientInfo): Promise<void> {
    this.fanout.leave(channel, info);
  }
}
