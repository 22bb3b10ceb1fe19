/**
 * Names of what a channel keeps in Redis. Every name of one channel carries the same hash tag,
 * `{CHANNEL}`, so on a cluster its stream, meta, presence and PUB/SUB channel live in one slot and
 * one script can touch them all. The prefix has no braces (the config refuses them), so the tag
 * is always the channel's: a `}` inside a channel name cuts every name's tag at the same place.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** The history stream: entries with ids `OFFSET-0`, fields `d` (payload) and `t` (server ms). */
  stream(channel: string): string {
    return `${this.prefix}:s:{${channel}}`;
  }

  /** The stream's position: hash fields `e` (epoch) and `s` (last offset). */
  meta(channel: string): string {
    return `${this.prefix}:m:{${channel}}`;
  }

  /** Presence: client id to packed ClientInfo. */
  presence(channel: string): string {
    return `${this.prefix}:p:{${channel}}`;
  }

  /** Presence expiry: client id scored by the ms its entry lapses unless refreshed. */
  presenceExpiry(channel: string): string {
    return `${this.prefix}:pz:{${channel}}`;
  }

  /** The PUB/SUB channel carrying the channel's publications, joins and leaves, in one order. */
  pubsub(channel: string): string {
    return `${this.prefix}:c:{${channel}}`;
  }

  /** The channel name of a PUB/SUB channel made by pubsub(), or undefined for another. */
  channelOf(pubsub: string): string | undefined {
    const head = `${this.prefix}:c:{`;
    return pubsub.startsWith(head) && pubsub.endsWith('}') ? pubsub.slice(head.length, -1) : undefined;
  }

  /** Node-to-node commands (server API disconnect, unsubscribe, ...). */
  control(): string {
    return `${this.prefix}:control`;
  }

  /** What is meant for one node alone (an emulation request for a session it holds): only that node subscribes. */
  nodeControl(uid: string): string {
    return `${this.prefix}:control:${uid}`;
  }

  /** The live nodes: node id to packed announcement. */
  nodes(): string {
    return `${this.prefix}:nodes`;
  }
}
