import type { ClientInfo, Publication, StreamPosition } from '../protocol/index.js';

export interface HistoryQuery {
  /** Publications to return: undefined or -1 all retained, 0 only the stream position. */
  limit?: number;
  /** Return publications after this position; throws UnrecoverablePosition when it cannot. */
  since?: StreamPosition;
  reverse?: boolean;
}

export interface HistoryResult extends StreamPosition {
  publications: Publication[];
}

export interface PresenceStats { num_clients: number; num_users: number }

export interface PublishOptions {
  info?: ClientInfo;
  tags?: Record<string, string>;
  /** The data's size when the caller measured it (PublicationCheck does); history estimates it otherwise. */
  bytes?: number;
  /**
   * When the broker's server is unreachable, deliver to this node's subscribers anyway (without
   * a position) instead of failing: the engine's own pipelines set it, so a node that loses Redis
   * keeps its dashboards live while clients' and the server API's publishes get a clear error.
   */
  localWhenDown?: boolean;
}

/**
 * Channels across the cluster: publish with history, recovery positions, presence. The memory
 * broker serves one process; a Redis broker implements the same for several.
 */
export interface Broker {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Appends to history (when the namespace keeps it) and fans out; resolves with the position. */
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<StreamPosition | undefined>;
  /**
   * The same, done before it returns, for brokers that need no I/O for it (the memory broker).
   * In-process pipelines publishing every tick use it to save a promise per publication;
   * brokers that talk to a server (Redis) leave it out and callers use publish().
   */
  publishSync?(channel: string, data: unknown, options?: PublishOptions): StreamPosition | undefined;
  /**
   * This node starts receiving the channel's publications, joins and leaves for its local
   * subscribers (reference counted); resolves once nothing published after it can be missed. A
   * subscribe calls it before it reads history, so the two cannot leave a gap between them.
   */
  subscribe(channel: string): Promise<void>;
  /**
   * Resolves once every publication of the channel that its history held when this was called
   * has reached this node's fan-out, or never will (it was published before this node received
   * the channel). A subscribe calls it after its history read: a publication in that read whose
   * message was still on its way would otherwise reach the new subscriber a second time.
   */
  sync(channel: string): Promise<void>;
  /** Undoes one subscribe(); the node stops receiving the channel after the last. */
  unsubscribe(channel: string): Promise<void>;
  history(channel: string, query: HistoryQuery): Promise<HistoryResult>;
  /** Drops a channel's history; its next publication starts a new epoch. */
  removeHistory(channel: string): Promise<void>;
  addPresence(channel: string, info: ClientInfo): Promise<void>;
  removePresence(channel: string, client: string): Promise<void>;
  presence(channel: string): Promise<Record<string, ClientInfo>>;
  presenceStats(channel: string): Promise<PresenceStats>;
  /** Gives back history memory, oldest first, until it holds at most `keep` (0..1) of what it holds (the memory watchdog's call); returns the bytes freed. */
  shedHistory?(keep: number): number;
  /** Join and leave pushes to a channel's subscribers. */
  publishJoin(channel: string, info: ClientInfo): Promise<void>;
  publishLeave(channel: string, info: ClientInfo): Promise<void>;
}
