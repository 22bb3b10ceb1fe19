/** How the engine reaches Redis: one server, a master found through Sentinel, or a Redis Cluster. */
export type RedisTopology = 'single' | 'sentinel' | 'cluster';
export const REDIS_TOPOLOGIES: readonly RedisTopology[] = ['single', 'sentinel', 'cluster'];

export interface RedisAddress {
  host: string;
  port: number;
}

/**
 * A parsed SUPERNOVA_REDIS_URL for its topology. `addresses` are the server (single), the
 * Sentinels (sentinel) or the seed nodes (cluster). Credentials and database are those of the
 * data nodes: for Sentinel the master's and its replicas' (the Sentinels are asked without).
 */
export interface RedisTarget {
  readonly topology: RedisTopology;
  readonly addresses: readonly RedisAddress[];
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  /** The master name the Sentinels know (SUPERNOVA_REDIS_SENTINEL_MASTER); sentinel only. */
  readonly sentinelMaster?: string;
  /** The Sentinels' own credentials (their `requirepass`, or an ACL user); sentinel only. */
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
}

/** SUPERNOVA_REDIS_SENTINEL_USERNAME and SUPERNOVA_REDIS_SENTINEL_PASSWORD. */
export interface SentinelAuth {
  username?: string | undefined;
  password?: string | undefined;
}

/** Which setting a problem of the target is in: config names it by its variable. */
export type RedisTargetField = 'url' | 'topology' | 'sentinelMaster' | 'sentinelUsername' | 'sentinelPassword';

/** A URL list or master name that cannot describe a Redis target. */
export class RedisTargetError extends Error {
  readonly code = 'REDIS_TARGET_INVALID';
  constructor(readonly field: RedisTargetField, message: string) {
    super(message);
    this.name = 'RedisTargetError';
  }
}

const DEFAULT_PORT: Record<RedisTopology, number> = { single: 6379, sentinel: 26379, cluster: 6379 };

/**
 * Reads `redis[s]://[[user]:password@]host[:port][/db]`, or for sentinel and cluster a comma-separated
 * list of them (Sentinels or seed nodes). Every entry has the same scheme (`rediss://` is TLS
 * throughout); credentials and database may be given on any entries but must agree.
 */
export function parseRedisTarget(url: string, topology: RedisTopology = 'single', sentinelMaster?: string, sentinelAuth: SentinelAuth = {}): RedisTarget {
  checkSentinelMaster(topology, sentinelMaster, sentinelAuth);
  const entries = url.split(',').map((s) => s.trim());
  if (entries.some((e) => e === '')) throw new RedisTargetError('url', 'has an empty entry in its comma-separated list');
  if (topology === 'single' && entries.length > 1) {
    throw new RedisTargetError('url', 'is a list of URLs, which needs SUPERNOVA_REDIS_TOPOLOGY=cluster (seed nodes) or sentinel (Sentinels)');
  }
  const parsed = entries.map((e) => parseEntry(e, DEFAULT_PORT[topology]));
  const agreed = <K extends 'tls' | 'username' | 'password' | 'db'>(key: K, what: string): ParsedEntry[K] => {
    const given = [...new Set(parsed.map((p) => p[key]).filter((v) => v !== undefined))];
    if (given.length > 1) throw new RedisTargetError('url', `its URLs differ in ${what}; give every entry the same (or leave it off all but one)`);
    return given[0] as ParsedEntry[K];
  };
  if (new Set(parsed.map((p) => p.tls)).size > 1) throw new RedisTargetError('url', 'mixes redis:// and rediss://; TLS is all or nothing');
  const db = agreed('db', 'database') ?? 0;
  if (topology === 'cluster' && db !== 0) throw new RedisTargetError('url', `names database ${db}, but a Redis Cluster has only database 0`);
  const username = agreed('username', 'user name');
  const password = agreed('password', 'password');
  return {
    topology,
    addresses: parsed.map(({ host, port }) => ({ host, port })),
    tls: parsed[0]?.tls ?? false,
    db,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(sentinelMaster ? { sentinelMaster } : {}),
    ...(sentinelAuth.username !== undefined ? { sentinelUsername: sentinelAuth.username } : {}),
    ...(sentinelAuth.password !== undefined ? { sentinelPassword: sentinelAuth.password } : {}),
  };
}

/**
 * A master name exactly when the topology is sentinel (a name without it is a topology
 * forgotten), and Sentinel credentials only then.
 */
export function checkSentinelMaster(topology: RedisTopology, sentinelMaster: string | undefined, sentinelAuth: SentinelAuth = {}): void {
  if (topology === 'sentinel' && !sentinelMaster) throw new RedisTargetError('sentinelMaster', 'required when SUPERNOVA_REDIS_TOPOLOGY=sentinel: the name the Sentinels monitor the master under');
  if (topology !== 'sentinel' && sentinelMaster) throw new RedisTargetError('sentinelMaster', `set, but SUPERNOVA_REDIS_TOPOLOGY is ${topology}: set the topology to sentinel, or unset the master name`);
  for (const field of ['sentinelUsername', 'sentinelPassword'] as const) {
    const given = field === 'sentinelUsername' ? sentinelAuth.username : sentinelAuth.password;
    if (topology !== 'sentinel' && given !== undefined) {
      throw new RedisTargetError(field, `set, but SUPERNOVA_REDIS_TOPOLOGY is ${topology}: Sentinel credentials are for the Sentinels; the data nodes' go in SUPERNOVA_REDIS_URL`);
    }
  }
}

interface ParsedEntry extends RedisAddress {
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  db: number | undefined;
}

function parseEntry(entry: string, defaultPort: number): ParsedEntry {
  let u: URL;
  try {
    u = new URL(entry);
  } catch {
    throw new RedisTargetError('url', `${redactEntry(entry)} is not a URL like redis://host:6379`);
  }
  const shown = redactEntry(entry);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RedisTargetError('url', `${shown} must start with redis:// or rediss://`);
  // WHATWG URLs keep the brackets of an IPv6 host; sockets want the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new RedisTargetError('url', `${shown} names no host`);
  if (u.search || u.hash) throw new RedisTargetError('url', `${shown}: query parameters and fragments are not read; remove them`);
  const path = u.pathname.replace(/^\/+/, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw new RedisTargetError('url', `${shown}: the path is the database number, like /0`);
  return {
    host,
    port: u.port ? Number(u.port) : defaultPort,
    tls: u.protocol === 'rediss:',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: path === '' ? undefined : Number(path),
  };
}

/** An entry as shown in messages: any password replaced by `***` (up to the last @: a password may hold one). */
function redactEntry(entry: string): string {
  return entry.replace(/^([a-z][\w+.-]*:\/\/[^:@/]*):.*@/i, '$1:***@');
}

/** A URL list as given, with every password replaced by `***` (for a message about the value itself). */
export function redactRedisUrl(url: string): string {
  return url.split(',').map((e) => redactEntry(e.trim())).join(',');
}

/**
 * The target for messages and logs, with any password as `***`: `redis://:***@host:6379/2 (single)`,
 * `redis://a:7000,redis://b:7001 (cluster seeds)`, `master m (password ***, db 2) via Sentinels redis://s:26379`.
 */
export function describeRedisTarget(t: RedisTarget): string {
  const scheme = t.tls ? 'rediss' : 'redis';
  const auth = t.password !== undefined ? `${t.username ?? ''}:***@` : t.username !== undefined ? `${t.username}@` : '';
  const hosts = t.addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);
  if (t.topology === 'sentinel') {
    const of = [t.username === undefined ? '' : `user ${t.username}`, t.password === undefined ? '' : 'password ***', t.db === 0 ? '' : `db ${t.db}`].filter(Boolean).join(', ');
    const sentinelAuth = [t.sentinelUsername === undefined ? '' : `user ${t.sentinelUsername}`, t.sentinelPassword === undefined ? '' : 'password ***'].filter(Boolean).join(', ');
    return `master ${t.sentinelMaster}${of ? ` (${of})` : ''} via Sentinels ${hosts.map((h) => `${scheme}://${h}`).join(',')}${sentinelAuth ? ` (${sentinelAuth})` : ''}`;
  }
  const db = t.db === 0 ? '' : `/${t.db}`;
  const urls = hosts.map((h) => `${scheme}://${auth}${h}${db}`).join(',');
  return t.topology === 'cluster' ? `${urls} (cluster seeds)` : `${urls} (single)`;
}
