import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisConnectionError } from './redis-connection-error.js';
import { describeRedisTarget, parseRedisTarget, type RedisTarget, type RedisTopology, type SentinelAuth } from './redis-target.js';

/** A connection the connector opened: a plain client, or a Cluster client for the cluster topology. */
export type RedisClient = Redis | Cluster;

/** The few ioredis options callers choose per connection; the connector sets the rest from the target. */
export interface ExtraOptions {
  /** Delay before reconnect attempt `times`, or null to give up (on a cluster: ioredis' clusterRetryStrategy). */
  retryStrategy?: (times: number) => number | null;
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  /** Do not connect until connect() (or the first command); connect() then reports failures. */
  lazyConnect?: boolean;
  connectTimeout?: number;
  commandTimeout?: number;
  /**
   * Whether commands sent but unanswered when the connection dropped are sent again after the
   * reconnect (ioredis' default). A caller whose commands are not idempotent (a publish) turns it
   * off: the command then fails, its outcome unknown, instead of running twice or waiting out the outage.
   */
  autoResendUnfulfilledCommands?: boolean;
  /** Commands issued in one event-loop turn go out in one write (ioredis' auto-pipelining). */
  enableAutoPipelining?: boolean;
  /** RESP version; ioredis 6 speaks 3 unless told 2 (whose replies some callers parse). */
  protocol?: 2 | 3;
}

/** Opens connections to the configured Redis, whatever its topology. Built once, from config. */
export interface RedisConnector {
  readonly topology: RedisTopology;
  /** Channels go over sharded PUB/SUB (SPUBLISH/SSUBSCRIBE) on a cluster. */
  readonly shardedPubSub: boolean;
  /** A new command connection, named `supernova-ROLE` (CLIENT SETNAME). */
  command(role: string, options?: ExtraOptions): RedisClient;
  /**
   * A new connection for SUBSCRIBE, or on a cluster for SSUBSCRIBE: a Cluster client with
   * ioredis' sharded subscribers (one connection per master, following slot moves).
   */
  subscriber(role: string, options?: ExtraOptions): RedisClient;
  /**
   * Connects a lazy connection (or waits for one connecting) until it is ready. A failure rejects
   * with a RedisConnectionError that says what to check; the connection keeps retrying by its
   * retryStrategy, so a caller that gives up disconnects it.
   */
  connect(client: RedisClient): Promise<void>;
  /** The target with any password redacted, for messages and logs. */
  describe(): string;
}

export interface RedisConnectorOptions {
  /** SUPERNOVA_REDIS_URL: one URL, or a comma-separated list of Sentinels or cluster seeds. */
  url: string;
  topology?: RedisTopology;
  /** SUPERNOVA_REDIS_SENTINEL_MASTER. */
  sentinelMaster?: string | undefined;
  /** SUPERNOVA_REDIS_SENTINEL_USERNAME / _PASSWORD: the Sentinels' own credentials. */
  sentinelAuth?: SentinelAuth;
}

/** The connector of a URL list and topology; throws a RedisTargetError when they do not fit. */
export function createRedisConnector(options: RedisConnectorOptions): RedisConnector {
  return new TopologyConnector(parseRedisTarget(options.url, options.topology ?? 'single', options.sentinelMaster, options.sentinelAuth));
}

/** The connector of the configured Redis (validated by loadConfig), or undefined when SUPERNOVA_REDIS_URL is unset. */
export function redisConnectorFrom(config: {
  redisUrl?: string | undefined; redisTopology: RedisTopology; redisSentinelMaster?: string | undefined; redisSentinelUsername?: string | undefined; redisSentinelPassword?: string | undefined;
}): RedisConnector | undefined {
  if (config.redisUrl === undefined) return undefined;
  return createRedisConnector({
    url: config.redisUrl, topology: config.redisTopology, sentinelMaster: config.redisSentinelMaster,
    sentinelAuth: { username: config.redisSentinelUsername, password: config.redisSentinelPassword },
  });
}

/** Client names allow no spaces (CLIENT SETNAME); a role is the caller's words. */
const clientName = (role: string): string => `supernova-${role.replace(/[^\w.:-]/g, '_')}`;

class TopologyConnector implements RedisConnector {
  readonly topology: RedisTopology;
  readonly shardedPubSub: boolean;
  private readonly shown: string;
  private readonly names = new WeakMap<RedisClient, string>();

  constructor(private readonly target: RedisTarget) {
    this.topology = target.topology;
    this.shardedPubSub = target.topology === 'cluster';
    this.shown = describeRedisTarget(target);
  }

  command(role: string, options: ExtraOptions = {}): RedisClient {
    return this.open(role, options, false);
  }

  subscriber(role: string, options: ExtraOptions = {}): RedisClient {
    return this.open(role, options, true);
  }

  describe(): string {
    return this.shown;
  }

  async connect(client: RedisClient): Promise<void> {
    if (client.status === 'ready') return;
    // The first failure settles it: through Sentinels, ioredis' connect() would wait for as long
    // as they can be retried, which is for ever.
    const failed = firstFailure(client);
    try {
      await Promise.race([client.status === 'wait' ? client.connect() : untilReady(client), failed.promise]);
    } catch (err) {
      throw new RedisConnectionError(this.shown, this.names.get(client) ?? 'supernova', err);
    } finally {
      failed.cancel();
    }
  }

  private open(role: string, extra: ExtraOptions, subscriber: boolean): RedisClient {
    const name = clientName(role);
    const client = this.target.topology === 'cluster' ? this.cluster(name, extra, subscriber) : new Redis(this.redisOptions(name, extra));
    this.names.set(client, name);
    return client;
  }

  private redisOptions(connectionName: string, extra: ExtraOptions): RedisOptions {
    const t = this.target;
    const common: RedisOptions = { ...extra, connectionName, db: t.db, ...this.credentials() };
    const [first] = t.addresses;
    if (t.topology === 'single') return { ...common, host: first?.host, port: first?.port, ...(t.tls ? { tls: {} } : {}) };
    return {
      ...common,
      sentinels: t.addresses.map(({ host, port }) => ({ host, port })),
      name: t.sentinelMaster,
      ...(t.sentinelUsername !== undefined ? { sentinelUsername: t.sentinelUsername } : {}),
      ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}),
      role: 'master',
      ...(t.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      // A manual failover (an upgrade) leaves the old master up and writable for some 20 s before
      // Sentinel demotes it; listening to the Sentinels' +switch-master moves at once.
      failoverDetector: true,
      // Written to a demoted master (READONLY): not executed, so reconnect (to the new one) and resend.
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
    };
  }

  private cluster(connectionName: string, extra: ExtraOptions, shardedSubscribers: boolean): Cluster {
    const { retryStrategy, enableOfflineQueue, lazyConnect, enableAutoPipelining, ...perNode } = extra;
    const options: ClusterOptions = {
      redisOptions: { ...perNode, connectionName, ...this.credentials(), ...(this.target.tls ? { tls: {} } : {}) },
      shardedSubscribers,
      ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(lazyConnect !== undefined ? { lazyConnect } : {}),
      ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    };
    return new Cluster(this.target.addresses.map(({ host, port }) => ({ host, port })), options);
  }

  private credentials(): { username?: string; password?: string } {
    const { username, password } = this.target;
    return { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  }
}

/** Resolves on 'ready' (errors are firstFailure's to report). */
function untilReady(client: RedisClient): Promise<void> {
  return new Promise((resolve) => client.once('ready', () => resolve()));
}

/** A promise that rejects with the client's next error, or when it ends, until cancelled. */
function firstFailure(client: RedisClient): { promise: Promise<never>; cancel: () => void } {
  let cancel = () => {};
  const promise = new Promise<never>((_, reject) => {
    if (client.status === 'end') return reject(new Error('the connection was closed'));
    const onError = (err: Error) => reject(err);
    const onEnd = () => reject(new Error('the connection was closed'));
    client.once('error', onError);
    client.once('end', onEnd);
    cancel = () => {
      client.off('error', onError);
      client.off('end', onEnd);
    };
  });
  // A failure after the race is settled (or cancelled) is the client's own 'error' to report.
  promise.catch(() => {});
  return { promise, cancel };
}
