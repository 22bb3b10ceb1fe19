import type { InboundFrame } from '../../src/gateway/index.js';
import type { DisconnectCode, StreamPosition, UnsubscribeCode } from '../../src/protocol/index.js';

/** The messages a connection actor handles, in mailbox order. */
export type ConnectionMsg =
  | { type: 'frame'; frame: InboundFrame }
  | { type: 'closed'; code: number }
  | { type: 'expire' }
  /**
   * The server ends a subscription: the server API (2000), or insufficient state (2500: the
   * broker lost publications its position needs; only positioned subscriptions are ended, and
   * the SDK resubscribes with recovery).
   */
  | { type: 'unsubscribe'; channel: string; code?: UnsubscribeCode }
  | { type: 'disconnect'; code: DisconnectCode; reason?: string }
  /** The server API subscribes this connection to a channel. */
  | { type: 'subscribe'; channel: string; data?: unknown; recoverSince?: StreamPosition }
  /** The server API refreshes this connection: expired now, a new expiry (seconds since the epoch), new info. */
  | { type: 'refresh'; expired?: boolean; expireAt?: number; info?: unknown };
