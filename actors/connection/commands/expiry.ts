import type { ActorRef } from '../../runtime/index.js';
import type { ConnectionMsg } from '../messages.js';
import type { ConnectionState } from '../state.js';

// setTimeout overflows past 2^31-1 ms; a later expiry is re-armed when this one fires.
const MAX_TIMER_MS = 2_147_000_000;

/**
 * Arms one timer for the earliest expiry of the connection or of a token-granted subscription;
 * the actor then checks expiry in order with its other messages.
 */
export function scheduleExpiry(state: ConnectionState, self: ActorRef<ConnectionMsg>): void {
  clearTimeout(state.expiryTimer);
  state.expiryTimer = undefined;
  let earliest = state.expiresAt === undefined ? undefined : state.expiresAt * 1000 + state.expiryGraceMs;
  for (const sub of state.subs.values()) {
    if (sub.expiresAt !== undefined && (earliest === undefined || sub.expiresAt * 1000 < earliest)) earliest = sub.expiresAt * 1000;
  }
  if (earliest === undefined || state.released) return;
  const ms = Math.min(MAX_TIMER_MS, Math.max(0, earliest - Date.now()));
  state.expiryTimer = setTimeout(() => self.tell({ type: 'expire' }), ms);
  state.expiryTimer.unref();
}
