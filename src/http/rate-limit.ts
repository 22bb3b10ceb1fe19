import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient, RedisConnector } from '../redis/index.js';
import { presentedApiKey } from './api-key-header.js';

/**
 * What the router tells the limiter about a request, inside the uWS callback. `remoteAddress`
 * reads the socket and is only valid until that callback returns: call it synchronously.
 */
export interface RateLimitRequest {
  method: string;
  /** The route's pattern, e.g. `/api/v1/market/:symbol`. */
  route: string;
  headers: Record<string, string>;
  remoteAddress(): string;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSec: number; message: string };

/** Undefined: this request is not limited at all (no promise, no extra turn). */
export type RateLimitHook = (req: RateLimitRequest) => RateVerdict | Promise<RateVerdict> | undefined;

/**
 * `api`: the server API (per API key); `ingest`: tick ingest (per API key); `public`: anonymous
 * reads (per client address); `ops`: /metrics and /performance/* (per client address).
 */
export type RateGroup = 'api' | 'ingest' | 'public' | 'ops';
export const RATE_GROUPS: readonly RateGroup[] = ['api', 'ingest', 'public', 'ops'];

/** A limit of `points` requests per `durationSec`; 0 points is off (config's HttpRate fits). */
export interface RateRule {
  readonly points: number;
  readonly durationSec: number;
}

export interface HttpRateLimiterOptions {
  rules: Record<RateGroup, RateRule>;
  /** The environment variable of each group's rule, named in the 429 message. */
  ruleNames?: Partial<Record<RateGroup, string>>;
  /** Keys that count on a bucket of their own; any other `Authorization` counts per address. */
  apiKeys: readonly string[];
  /** Take the client address from the last `x-forwarded-for` entry (the nearest proxy's view). */
  trustProxy: boolean;
  /** Count on Redis, so every engine sharing it and the prefix enforces one limit. */
  redis?: { connector: RedisConnector; prefix: string };
  log: Logger;
}

const zeroPerGroup = (): Record<RateGroup, number> => Object.fromEntries(RATE_GROUPS.map((g) => [g, 0])) as Record<RateGroup, number>;

/** The routes that are never limited: kubelets and load balancers probe them, and they cost nothing. */
const HEALTH_ROUTES: ReadonlySet<string> = new Set(['/performance/health', '/performance/health/live', '/performance/health/ready']);
/** Longest a limit decision waits for Redis before this process decides alone. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
const LOG_INTERVAL_MS = 10_000;
const ALLOWED: RateVerdict = Object.freeze({ allowed: true });

/** The group of a matched route, or undefined for one that is never limited. */
export function rateGroupOf(method: string, route: string): RateGroup | undefined {
  if (HEALTH_ROUTES.has(route)) return undefined;
  if (route === '/metrics' || route.startsWith('/performance/')) return 'ops';
  if (route.startsWith('/api/v1/ingest/')) return 'ingest';
  if (route.startsWith('/api/v1/') && (method === 'get' || method === 'head')) return 'public';
  if (route.startsWith('/api/')) return 'api';
  return 'public';
}

interface GroupLimiter {
  group: RateGroup;
  limiter: RateLimiterAbstract;
  perKey: boolean;
  message: (retryAfterSec: number, perKey: boolean) => string;
}

/**
 * HTTP rate limits per route group, per API key or client address, on rate-limiter-flexible:
 * in memory, or on Redis when configured (with a memory limiter as insurance while Redis is
 * down, so requests are limited per node rather than failed). Owns its Redis connection.
 */
export class HttpRateLimiter {
  private readonly groups = new Map<RateGroup, GroupLimiter>();
  private readonly redis: RedisClient | undefined;
  private readonly keys: { key: Buffer; id: string }[];
  private readonly lastLogAt = new Map<string, number>();
  /**
   * Keys refused until their window ends (ms timestamp), by group and id: refused again at once,
   * synchronously, without asking the store. In a fixed window a refused key stays refused until
   * it ends, so this answers what the store would, and a flood costs neither a promise (with its
   * rejection bookkeeping) nor a Redis round trip per request.
   */
  private readonly blocked = new Map<string, number>();
  /** Requests refused with 429 since start, by group (supernova_http_rate_limited_total). */
  readonly limited = zeroPerGroup();
  /** Decisions taken in this process's memory because Redis failed or was not ready, by group. */
  readonly fallbacks = zeroPerGroup();
  private sweepAt = 1024;

  constructor(private readonly o: HttpRateLimiterOptions) {
    this.keys = o.apiKeys.map((k) => ({ key: Buffer.from(k), id: createHash('sha256').update(k).digest('hex').slice(0, 16) }));
    if (o.redis && RATE_GROUPS.some((g) => o.rules[g].points > 0)) {
      this.redis = o.redis.connector.command('http-rate-limit', {
        lazyConnect: true,
        connectTimeout: 2_000,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        // A request never queues behind a reconnect: the insurance limiter decides at once.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        // Back on Redis within a second of its return: ioredis' own backoff grows to 5 s, all of
        // it spent limiting per node. An attempt is one TCP connect, cheap at one a second.
        retryStrategy: (times: number) => Math.min(100 * times, 1_000),
      });
      this.redis.on('error', (err: Error) => this.logSparingly('redis', { err }, 'http rate limit: Redis error; limiting in memory per node until it answers'));
    }
    for (const group of RATE_GROUPS) {
      const rule = o.rules[group];
      if (rule.points <= 0) continue;
      const name = o.ruleNames?.[group];
      const limit = `${rule.points} per ${rule.durationSec} s`;
      const message = (after: number, perKey: boolean) =>
        `too many requests: the ${group} limit is ${limit} per ${perKey ? 'API key' : 'client address'}${name ? ` (${name})` : ''}; retry after ${after} s`;
      this.groups.set(group, { group, limiter: this.limiterFor(group, rule), perKey: group === 'api' || group === 'ingest', message });
    }
  }

  /** Connects to Redis when configured; an unreachable Redis is logged, not fatal (insurance). */
  async start(): Promise<void> {
    if (!this.redis || !this.o.redis) return;
    try {
      await this.o.redis.connector.connect(this.redis);
    } catch (err) {
      this.logSparingly('redis', { err }, 'http rate limit: Redis not reachable at start; limiting in memory per node until it answers');
    }
  }

  async stop(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'end') return;
    if (redis.status === 'wait') {
      redis.disconnect(); // never connected (not started): quit would connect first
      return;
    }
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  }

  /** The router's hook: a verdict for a matched route, before its handler runs. */
  readonly check: RateLimitHook = (req) => {
    const group = rateGroupOf(req.method, req.route);
    const g = group === undefined ? undefined : this.groups.get(group);
    if (!g) return undefined;
    // Synchronously, while the uWS request is alive: remoteAddress() dies with the callback.
    const keyId = g.perKey ? this.apiKeyId(presentedApiKey(req.headers)) : undefined;
    const id = keyId === undefined ? `addr:${this.addressOf(req)}` : `key:${keyId}`;
    const perKey = keyId !== undefined;
    const blockKey = `${g.group} ${id}`;
    const until = this.blocked.get(blockKey);
    if (until !== undefined) {
      const ms = until - Date.now();
      if (ms > 0) return this.refused(g, ms, perKey);
      this.blocked.delete(blockKey);
    }
    return g.limiter.consume(id).then(() => ALLOWED, (res: unknown) => this.refusal(g, res, perKey, blockKey));
  };

  private refusal(g: GroupLimiter, res: unknown, perKey: boolean, blockKey: string): RateVerdict {
    if (!(res instanceof RateLimiterRes)) {
      // Neither store could decide (a bug, not a limit): let the request through and say so.
      this.logSparingly(`failed-${g.group}`, { err: res, group: g.group }, 'http rate limit check failed; request allowed');
      return ALLOWED;
    }
    this.block(blockKey, res.msBeforeNext);
    return this.refused(g, res.msBeforeNext, perKey);
  }

  private refused(g: GroupLimiter, msBeforeNext: number, perKey: boolean): RateVerdict {
    this.limited[g.group]++;
    const retryAfterSec = Math.max(1, Math.ceil(msBeforeNext / 1000));
    return { allowed: false, retryAfterSec, message: g.message(retryAfterSec, perKey) };
  }

  private block(blockKey: string, msBeforeNext: number): void {
    if (!(msBeforeNext > 0)) return;
    const now = Date.now();
    // Bounded by the keys refused within one window: expired entries go whenever the map doubles.
    if (this.blocked.size >= this.sweepAt) {
      for (const [k, until] of this.blocked) if (until <= now) this.blocked.delete(k);
      this.sweepAt = Math.max(1024, this.blocked.size * 2);
    }
    this.blocked.set(blockKey, now + msBeforeNext);
  }

  private limiterFor(group: RateGroup, rule: RateRule): RateLimiterAbstract {
    const base = { points: rule.points, duration: rule.durationSec };
    if (!this.redis || !this.o.redis) return new RateLimiterMemory({ ...base, keyPrefix: group });
    return new RateLimiterRedis({
      ...base,
      storeClient: this.redis,
      keyPrefix: `${this.o.redis.prefix}:ratelimit:${group}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new FallbackMemoryLimiter({ ...base, keyPrefix: group }, () => { this.fallbacks[group]++; }),
    });
  }

  /** The id of a configured key presented as `Authorization: apikey KEY`, compared in constant time. */
  private apiKeyId(presented: string | undefined): string | undefined {
    if (presented === undefined || this.keys.length === 0) return undefined;
    const given = Buffer.from(presented);
    for (const { key, id } of this.keys) if (given.length === key.length && timingSafeEqual(given, key)) return id;
    return undefined;
  }

  private addressOf(req: RateLimitRequest): string {
    if (this.o.trustProxy) {
      const forwarded = req.headers['x-forwarded-for'];
      // The last entry is the one the nearest (trusted) proxy appended; earlier ones are the client's word.
      const last = forwarded?.slice(forwarded.lastIndexOf(',') + 1).trim();
      if (last && last.length <= 64) return last;
    }
    return req.remoteAddress();
  }

  private logSparingly(kind: string, fields: object, msg: string): void {
    const now = Date.now();
    if (now - (this.lastLogAt.get(kind) ?? Number.NEGATIVE_INFINITY) < LOG_INTERVAL_MS) return;
    this.lastLogAt.set(kind, now);
    this.o.log.warn(fields, msg);
  }
}

/** The insurance limiter of a Redis-backed group: counts each decision it takes. */
class FallbackMemoryLimiter extends RateLimiterMemory {
  constructor(opts: { points: number; duration: number; keyPrefix: string }, private readonly onUse: () => void) {
    super(opts);
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, points, options);
  }
}
