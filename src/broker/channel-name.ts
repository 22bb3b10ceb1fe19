import { ConfigError, type NamespaceOptions } from '../config/index.js';
import { ErrorCode, ProtocolError } from '../protocol/index.js';

/** A channel name split into the parts that decide its options and who may use it. */
export interface ChannelName {
  channel: string;
  namespace: string;
  /** Users allowed by the `#` boundary (`user#42` -> ['42']; `chat#1,2` -> ['1','2']), or undefined. */
  users: readonly string[] | undefined;
}

const validChannel = /^[\w:#,.\-@=/]{1,255}$/;

export function parseChannelName(channel: string): ChannelName {
  if (!validChannel.test(channel)) throw new ProtocolError(ErrorCode.BadRequest, `invalid channel name ${JSON.stringify(channel.slice(0, 64))}`);
  const colon = channel.indexOf(':');
  const hash = channel.indexOf('#');
  let namespace: string;
  if (colon > 0 && (hash === -1 || colon < hash)) namespace = channel.slice(0, colon);
  else if (hash > 0) namespace = channel.slice(0, hash);
  else namespace = channel;
  const users = hash === -1 ? undefined : channel.slice(hash + 1).split(',').filter(Boolean);
  return { channel, namespace, users };
}

export interface ResolvedChannel {
  readonly name: ChannelName;
  readonly options: NamespaceOptions;
}

// Channels whose resolution is remembered. Every publication resolves its channel (a regex test
// and a split), and a pipeline publishes to the same few channels all day. Past the bound the
// memo is emptied and refills with the channels in use: no eviction bookkeeping per lookup.
const RESOLVED_MAX = 10_000;

/**
 * Looks up the options of a channel's namespace; an unknown namespace is error 102. A channel
 * with no `:` whose name (or part before `#`) is no namespace takes the options of the
 * `withoutNamespace` namespace when one is named (Centrifugo's channel_without_namespace), so
 * `chat` and `room_1f3a` work as they do there.
 */
export class NamespaceRegistry {
  private readonly byName: Map<string, NamespaceOptions>;
  private readonly resolved = new Map<string, ResolvedChannel>();
  private readonly withoutNamespace: NamespaceOptions | undefined;
  constructor(namespaces: readonly NamespaceOptions[], withoutNamespace?: string) {
    this.byName = new Map(namespaces.map((ns) => [ns.name, ns]));
    this.withoutNamespace = withoutNamespace === undefined ? undefined : this.byName.get(withoutNamespace);
    if (withoutNamespace !== undefined && !this.withoutNamespace) throw new ConfigError([`SUPERNOVA_CHANNEL_WITHOUT_NAMESPACE=${JSON.stringify(withoutNamespace)}: no such namespace`]);
  }
  resolve(channel: string): ResolvedChannel {
    const known = this.resolved.get(channel);
    if (known) return known;
    const name = parseChannelName(channel);
    const options = this.byName.get(name.namespace) ?? (channel.includes(':') ? undefined : this.withoutNamespace);
    if (!options) throw new ProtocolError(ErrorCode.UnknownChannel, `unknown channel namespace "${name.namespace}"`);
    if (this.resolved.size >= RESOLVED_MAX) this.resolved.clear();
    const result: ResolvedChannel = { name, options };
    this.resolved.set(channel, result);
    return result;
  }
  /** Options for a channel, or undefined for one outside every namespace. */
  optionsOf(channel: string): NamespaceOptions | undefined {
    try {
      return this.resolve(channel).options;
    } catch {
      return undefined;
    }
  }
  list(): NamespaceOptions[] {
    return [...this.byName.values()];
  }
}
