import { askScope, type AskRegistry, type AskScoped } from './ask.js';
import type { ParentNode, RuntimeCore, TreeNode } from './core.js';
import { ActorStoppedError } from './errors.js';
import { dispatchNact, spawnNact, stopNact, type NactContext, type NactRef } from './nact.js';
import type { ActorRef } from './types.js';

/** The only message a container's nact actor handles: reports how many children nact itself holds. */
export interface CensusMsg {
  readonly kind: 'census';
  readonly reply: (nactChildren: number) => void;
}

function isCensus(msg: unknown): msg is CensusMsg {
  return typeof msg === 'object' && msg !== null && (msg as { kind?: unknown }).kind === 'census';
}

function answerCensus(msg: unknown, ctx: NactContext): void {
  if (isCensus(msg)) msg.reply(ctx.children.size);
}

/**
 * A nact actor that only parents other nodes (a supervisor shard). It tracks
 * its children itself because nact's Actor.stop hands child *Actor objects* to
 * a stop() that expects *references*, so nact never stops them (defect 1).
 *
 * It doubles as an ActorRef<CensusMsg> so tests and diagnostics can ask nact's
 * own view of the child count; that message is also what shows a shard's
 * per-message cost is bounded by its size (defect 3).
 */
export class Container implements TreeNode, ParentNode, ActorRef<CensusMsg>, AskScoped {
  readonly name: string;
  readonly nactRef: NactRef;
  readonly [askScope]: AskRegistry;
  private readonly children = new Set<TreeNode>();
  private isStopped = false;

  constructor(
    core: RuntimeCore,
    private readonly parent: ParentNode<Container>,
    prefix: string,
    /** Lets the owner rebalance shards; not called while this container itself is stopping. */
    private readonly onChildStopped: (container: Container) => void,
  ) {
    this.name = core.uniqueName(prefix);
    this[askScope] = core.asks;
    this.nactRef = spawnNact(parent.nactRef, this.name, answerCensus);
  }

  get size(): number {
    return this.children.size;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Control messages are not queued behind user work, so they are not counted. */
  get depth(): number {
    return 0;
  }

  add<T extends TreeNode>(make: (parent: ParentNode) => T): T {
    if (this.isStopped) throw new ActorStoppedError(this.name);
    const node = make(this);
    this.children.add(node);
    return node;
  }

  tell(msg: CensusMsg): boolean {
    if (this.isStopped) return false;
    dispatchNact(this.nactRef, msg);
    return true;
  }

  childStopped(child: TreeNode): void {
    // While stopping, the loop in stopTree owns the set; nothing to rebalance.
    if (this.isStopped) return;
    if (this.children.delete(child)) this.onChildStopped(this);
  }

  stop(): void {
    this.stopTree();
  }

  stopTree(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    // Children first: nact finds actors by walking the path from the root, so a
    // child whose parent is already gone from nact could no longer be stopped.
    for (const child of this.children) child.stopTree();
    this.children.clear();
    stopNact(this.nactRef);
    this.parent.childStopped(this);
  }
}
