import { ActorCell } from './actor.js';
import { ask } from './ask.js';
import { Container, type CensusMsg } from './container.js';
import type { ParentNode, RuntimeCore, TreeNode } from './core.js';
import { ActorStoppedError } from './errors.js';
import { spawnNact, stopNact, type NactRef } from './nact.js';
import type { ActorRef, SpawnOptions, Supervisor } from './types.js';

const DEFAULT_MAX_CHILDREN_PER_SHARD = 500;

export interface ShardedSupervisorOptions {
  /** Upper bound on the children of any one nact parent. Default 500. */
  maxChildrenPerShard?: number;
}

/**
 * nact copies a parent's whole child map into a fresh context for every
 * message it handles (and again when it stops or handles a fault), so a nact
 * parent's costs grow with its child count (defect 3). This supervisor spreads
 * its children over shards of at most `maxChildrenPerShard`, creating shards on
 * demand and stopping them as soon as they empty.
 */
export class ShardedSupervisor implements Supervisor, TreeNode, ParentNode<Container> {
  readonly name: string;
  readonly nactRef: NactRef;
  private readonly maxPerShard: number;
  private readonly shards = new Set<Container>();
  /** Shards with room; picking any of them is O(1). */
  private readonly open = new Set<Container>();
  private live = 0;
  private isStopped = false;

  constructor(
    private readonly core: RuntimeCore,
    private readonly parent: ParentNode,
    prefix: string,
    opts: ShardedSupervisorOptions = {},
  ) {
    const max = opts.maxChildrenPerShard ?? DEFAULT_MAX_CHILDREN_PER_SHARD;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxChildrenPerShard must be a positive integer, got ${max}`);
    this.maxPerShard = max;
    this.name = core.uniqueName(prefix);
    // The supervisor's own nact actor parents only shards and is never sent user messages.
    this.nactRef = spawnNact(parent.nactRef, this.name, () => undefined);
  }

  get size(): number {
    return this.live;
  }

  get shardCount(): number {
    return this.shards.size;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  spawn<S, M>(opts: SpawnOptions<S, M>): ActorRef<M> {
    return this.place((parent) => new ActorCell<S, M>(this.core, parent, opts));
  }

  /** A nested sharded supervisor; stopping this one stops it too. */
  supervisor(name: string, opts?: ShardedSupervisorOptions): ShardedSupervisor {
    return this.place((parent) => new ShardedSupervisor(this.core, parent, name, opts));
  }

  stop(): void {
    this.stopTree();
  }

  stopTree(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    for (const shard of this.shards) shard.stopTree();
    // childStopped ignores shards while we are stopping, so account for them here.
    this.core.counters.shards -= this.shards.size;
    this.shards.clear();
    this.open.clear();
    this.live = 0;
    stopNact(this.nactRef);
    this.parent.childStopped(this);
  }

  childStopped(shard: Container): void {
    if (this.isStopped) return;
    if (this.shards.delete(shard)) this.core.counters.shards -= 1;
    this.open.delete(shard);
  }

  /** nact's own child count for each shard (diagnostics/tests: proves nact agrees with our bookkeeping). */
  async shardCensus(timeoutMs = 1_000): Promise<number[]> {
    return Promise.all([...this.shards].map((shard) => ask(shard, (reply: (n: number) => void) => ({ kind: 'census' as const, reply }), timeoutMs)));
  }

  /** @internal Shards as census refs; used to measure per-message cost to a shard. */
  shardRefs(): readonly ActorRef<CensusMsg>[] {
    return [...this.shards];
  }

  private place<T extends TreeNode>(make: (parent: ParentNode) => T): T {
    if (this.isStopped) throw new ActorStoppedError(this.name);
    const shard = this.openShard();
    let node: T;
    try {
      node = shard.add(make);
    } catch (error) {
      // Do not leave behind a shard created just for a spawn that failed.
      if (shard.size === 0) shard.stopTree();
      throw error;
    }
    this.live += 1;
    if (shard.size >= this.maxPerShard) this.open.delete(shard);
    return node;
  }

  private openShard(): Container {
    for (const shard of this.open) return shard;
    const shard = new Container(this.core, this, 'shard', this.onShardChildStopped);
    this.shards.add(shard);
    this.open.add(shard);
    this.core.counters.shards += 1;
    return shard;
  }

  private readonly onShardChildStopped = (shard: Container): void => {
    this.live -= 1;
    if (shard.size === 0) {
      shard.stopTree(); // its childStopped callback removes it from the sets
      return;
    }
    this.open.add(shard);
  };
}
