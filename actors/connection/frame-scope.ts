import type { ServerMessage, StreamPosition, SubscribeResult } from '../../src/protocol/index.js';
import type { ActorRef } from '../runtime/index.js';
import type { ConnectionMsg } from './messages.js';
import type { Subscription } from './state.js';

/** A subscription answered but not yet delivering: it goes live with the frame's replies. */
export interface PendingSubscription {
  sub: Subscription;
  result: SubscribeResult;
  /** The stream position the reply was built at; undefined for channels without history. */
  position: StreamPosition | undefined;
  /** The reply carries only the latest publication rather than everything after a position. */
  latestOnly: boolean;
}

/** What one frame's commands produce, sent together when the frame is done. */
export interface FrameScope {
  self: ActorRef<ConnectionMsg>;
  replies: ServerMessage[];
  pending: PendingSubscription[];
}
