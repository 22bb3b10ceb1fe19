import type { ActorRef } from '../runtime/index.js';
import type { ConnectionMsg } from './messages.js';

interface Entry { client: string; user: string; ref: ActorRef<ConnectionMsg> }

/** Live connections by user, so the server API can reach a user's actors. */
export class ConnectionRegistry {
  private readonly byUser = new Map<string, Map<string, Entry>>();
  private clients = 0;

  add(user: string, client: string, ref: ActorRef<ConnectionMsg>): void {
    let m = this.byUser.get(user);
    if (!m) this.byUser.set(user, (m = new Map()));
    if (!m.has(client)) this.clients++;
    m.set(client, { client, user, ref });
  }

  remove(user: string, client: string): void {
    const m = this.byUser.get(user);
    if (!m?.delete(client)) return;
    this.clients--;
    if (m.size === 0) this.byUser.delete(user);
  }

  /** Sends a message to every connection of a user (or one client of it); returns how many got it. */
  tellUser(user: string, msg: ConnectionMsg, client?: string): number {
    let n = 0;
    for (const e of this.byUser.get(user)?.values() ?? []) {
      if (client !== undefined && e.client !== client) continue;
      if (e.ref.tell(msg)) n++;
    }
    return n;
  }

  /** Sends a message to every connection (rare events: a channel's stream lost its subscribers' positions). */
  tellAll(msg: ConnectionMsg): number {
    let n = 0;
    for (const m of this.byUser.values()) for (const e of m.values()) if (e.ref.tell(msg)) n++;
    return n;
  }

  get numClients(): number {
    return this.clients;
  }

  get numUsers(): number {
    return this.byUser.size;
  }
}
