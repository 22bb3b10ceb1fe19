import { AskRegistry } from './ask.js';
import type { NactRef } from './nact.js';
import type { RuntimeLogger, RuntimeStats } from './types.js';

/**
 * Counters are bumped where the event happens, so reading stats is O(1)
 * instead of a walk over tens of thousands of actors on every scrape.
 */
export type Counters = Omit<RuntimeStats, 'pendingAsks'>;

/** A node of the supervision tree: stops itself and its whole subtree, then tells its parent. */
export interface TreeNode {
  stopTree(): void;
}

/** What a child needs from its parent: where to spawn in nact, and whom to tell when it stops. */
export interface ParentNode<C extends TreeNode = TreeNode> {
  readonly nactRef: NactRef;
  childStopped(child: C): void;
}

/** nact's ActorPath.isValidName alphabet; anything else would make spawn throw. */
const INVALID_NAME_CHARS = /[^a-z0-9\-$_.+!*'(),]/gi;

/** State shared by every node of one runtime. */
export class RuntimeCore {
  readonly counters: Counters = {
    actors: 0,
    mailboxDepth: 0,
    crashes: 0,
    resets: 0,
    stopsByPolicy: 0,
    mailboxRejections: 0,
    shards: 0,
  };
  readonly asks = new AskRegistry();
  private lastId = 0;

  constructor(private readonly logger: RuntimeLogger | undefined, readonly now: () => number) {}

  /**
   * nact's own names are `anonymous-<random int32>` and collide (defect 2); a
   * per-runtime counter cannot, and a nact system is per runtime.
   */
  uniqueName(prefix: string): string {
    this.lastId += 1;
    const clean = prefix.slice(0, 64).replace(INVALID_NAME_CHARS, '_') || 'actor';
    return `${clean}-${this.lastId}`;
  }

  warn(obj: object, msg: string): void {
    if (!this.logger) return;
    try {
      this.logger.warn(obj, msg);
    } catch {
      // A broken logger must not turn a handled crash into an unhandled one.
    }
  }
}
