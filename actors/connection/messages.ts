import type { InboundFrame } from '../../src/gateway/index.js';
import type { DisconnectCode } from '../../src/protocol/index.js';

/** The messages a connection actor handles, in mailbox order. */
export type ConnectionMsg =
  | { type: 'frame'; frame: InboundFrame }
  | { type: 'closed'; code: number }
  | { type: 'expire' }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'disconnect'; code: DisconnectCode; reason?: string };
