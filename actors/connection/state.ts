import { randomUUID } from 'node:crypto';
import type { NamespaceOptions } from '../../src/config/index.js';
import type { SocketPort } from '../../src/gateway/index.js';

export interface Subscription {
  channel: string;
  options: NamespaceOptions;
  /** Publications carry offsets the client tracks (recoverable or positioned). */
  positioned: boolean;
  recoverable: boolean;
  /** Native topic delivery is on; false while the subscribe is still being answered. */
  committed: boolean;
  /** The broker delivers the channel to this node on this subscription's behalf (Broker.subscribe). */
  received: boolean;
  serverSide: boolean;
  joinLeave: boolean;
  /** Gets fossil deltas: the client asked, the namespace allows it and its encoding carries them. */
  delta: boolean;
  /** Seconds since the epoch when a subscription token expires, or undefined. */
  expiresAt: number | undefined;
  chanInfo: unknown;
}

/** A connection's state, owned by its actor: mutated only inside the actor's handler. */
export class ConnectionState {
  readonly client = randomUUID();
  connected = false;
  user = '';
  /** Seconds since the epoch; undefined: no expiry. */
  expiresAt: number | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Grace after the connection token's expiry before the connection is closed. */
  expiryGraceMs = 0;
  connInfo: unknown;
  /** The connection token's `meta`: for RPC handlers, never for clients. */
  meta: Record<string, unknown> | undefined;
  readonly subs = new Map<string, Subscription>();
  /** Set once the socket is gone and resources are released; late work must release what it takes. */
  released = false;

  constructor(readonly port: SocketPort) {}

  info(sub?: Subscription): { client: string; user: string; conn_info?: unknown; chan_info?: unknown } {
    const out: { client: string; user: string; conn_info?: unknown; chan_info?: unknown } = { client: this.client, user: this.user };
    if (this.connInfo !== undefined) out.conn_info = this.connInfo;
    if (sub?.chanInfo !== undefined) out.chan_info = sub.chanInfo;
    return out;
  }
}
