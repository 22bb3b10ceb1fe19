import type { ClientInfo } from '../protocol/index.js';
import type { PresenceStats } from './broker.js';

/** Who is subscribed to which channel, in this process. Empty channels are removed at once. */
export class MemoryPresence {
  private readonly channels = new Map<string, Map<string, ClientInfo>>();

  add(channel: string, info: ClientInfo): void {
    let clients = this.channels.get(channel);
    if (!clients) this.channels.set(channel, (clients = new Map()));
    clients.set(info.client, info);
  }

  remove(channel: string, client: string): void {
    const clients = this.channels.get(channel);
    if (!clients) return;
    clients.delete(client);
    if (clients.size === 0) this.channels.delete(channel);
  }

  get(channel: string): Record<string, ClientInfo> {
    const out: Record<string, ClientInfo> = {};
    for (const [id, info] of this.channels.get(channel) ?? []) out[id] = info;
    return out;
  }

  stats(channel: string): PresenceStats {
    const clients = this.channels.get(channel);
    if (!clients) return { num_clients: 0, num_users: 0 };
    const users = new Set<string>();
    for (const info of clients.values()) users.add(info.user);
    return { num_clients: clients.size, num_users: users.size };
  }

  clear(): void {
    this.channels.clear();
  }
}
