import type { ClientInfo, StreamPosition } from '../protocol/index.js';
import type { Broker, HistoryQuery, HistoryResult, PresenceStats, PublishOptions } from './broker.js';
import type { NamespaceRegistry } from './channel-name.js';

/**
 * Channels of `node`-scoped namespaces stay in this process (the node's own metrics); all others
 * go to the cluster broker. Both deliver into the same fan-out.
 */
export class ScopedBroker implements Broker {
  constructor(private readonly namespaces: NamespaceRegistry, readonly node: Broker, readonly cluster: Broker) {}

  async start(): Promise<void> {
    await this.node.start();
    await this.cluster.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.cluster.stop(), this.node.stop()]);
  }

  private of(channel: string): Broker {
    return this.namespaces.resolve(channel).options.scope === 'node' ? this.node : this.cluster;
  }

  publish(channel: string, data: unknown, options?: PublishOptions): Promise<StreamPosition | undefined> {
    return this.of(channel).publish(channel, data, options);
  }

  subscribe(channel: string): Promise<void> {
    return this.of(channel).subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.of(channel).unsubscribe(channel);
  }

  sync(channel: string): Promise<void> {
    return this.of(channel).sync(channel);
  }

  history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    return this.of(channel).history(channel, query);
  }

  removeHistory(channel: string): Promise<void> {
    return this.of(channel).removeHistory(channel);
  }

  addPresence(channel: string, info: ClientInfo): Promise<void> {
    return this.of(channel).addPresence(channel, info);
  }

  removePresence(channel: string, client: string): Promise<void> {
    return this.of(channel).removePresence(channel, client);
  }

  presence(channel: string): Promise<Record<string, ClientInfo>> {
    return this.of(channel).presence(channel);
  }

  presenceStats(channel: string): Promise<PresenceStats> {
    return this.of(channel).presenceStats(channel);
  }

  publishJoin(channel: string, info: ClientInfo): Promise<void> {
    return this.of(channel).publishJoin(channel, info);
  }

  publishLeave(channel: string, info: ClientInfo): Promise<void> {
    return this.of(channel).publishLeave(channel, info);
  }
}
