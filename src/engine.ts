import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import * as uWS from 'uWebSockets.js';
import type { Logger } from 'pino';
import { configEntries, openFileBudget, openFileSoftLimit, type SupernovaConfig } from './config/index.js';
import { Fanout, FanoutTap, MemoryBroker, NamespaceRegistry, PublicationCheck, RedisBroker, ScopedBroker, type Broker, type ControlCommand, type NodeInfo } from './broker/index.js';
import { DisconnectCode, ErrorCode, ProtocolError, wireCodecs, UnsubscribeCode, type StreamPosition } from './protocol/index.js';
import { registerStreamMetrics, StreamGateway, WebSocketGateway, withStreamTopics, type SessionOptions } from './gateway/index.js';
import { HttpRateLimiter, OriginPolicy, Router, StaticFiles, type Detachable } from './http/index.js';
import { redisConnectorFrom, type RedisConnector } from './redis/index.js';
import { PostgresBarArchive, Storage, StorageError, type Database } from './storage/index.js';
import { registerBarsApi, registerDisabledServerApi, registerIngestApi, registerMarketSnapshotApi, registerNewsIngestApi, registerSentimentApi, registerModelsApi, registerServerApi, registerTasksApi, sentimentHoursCachePrefix } from './api/index.js';
import type { SentimentScorer } from './ml/index.js';
import { AnalyzeBusyError, scorerUnavailable, sentimentFrom, SentimentStartError, type Analyzer, type SentimentWiring } from './sentiment/index.js';
import { marketPipelineFrom, registerMarketMetrics } from './market/index.js';
import { tokenVerifierFrom } from './auth/index.js';
import { clientCloseKind, EngineMetrics, InternalErrors, MemoryWatchdog, MetricsService, PerformanceReport } from './metrics/index.js';
import { HealthRegistry, healthReport, registerHealthMetrics, registerHealthRoutes, type HealthRouteSources, type LifecycleState } from './health/index.js';
import { packageVersion } from './version.js';
import { createLogger, type LogSink } from './logging/index.js';
import { ActorRuntime } from '../actors/runtime/index.js';
import { cacheFromConfig, readThrough, registerCacheMetrics, type Cache } from '../actors/cache-shard/index.js';
import { ModelReplicas, registerModelMetrics, sentimentScorerFromConfig } from '../actors/model-replica/index.js';
import { databaseRecomputeStore, tasksFrom, type TaskDefinition, type Tasks } from '../actors/task-worker/index.js';
import { applyControl, ConnectionActors, ConnectionRegistry, type ConnectionDeps, type RpcMethod } from '../actors/connection/index.js';
import { barInterval, isClientError, MarketMirror, marketRpcMethods, SENTIMENT_ANALYZE_METHOD, type BarStore, type ChannelPublisher, type Feed, type MarketPipeline, type MarketState, type PipelineCounters, type TickIngest } from '../streams/index.js';

/** The built dashboard is a few hundred KiB; this bounds what a misconfigured SUPERNOVA_WEB_DIR can pin in memory. */
const DASHBOARD_MAX_BYTES = 32 * 1024 * 1024;

export interface EngineOptions {
  config: SupernovaConfig;
  logger?: Logger;
  /** The output under `logger` when it came from createLogger: its dropped lines are counted in metrics. */
  logSink?: LogSink;
  /** Extra RPC methods, next to the built-in market ones. */
  rpc?: Record<string, RpcMethod>;
  /** The application's task types, registered before start (in redis mode a job may arrive at once). */
  tasks?: Record<string, TaskDefinition>;
}

/**
 * The composition root: the only place that knows every part. It wires the gateway, broker,
 * actors, pipelines and HTTP routes, and owns their lifecycles.
 */
export class Engine {
  readonly config: SupernovaConfig;
  readonly log: Logger;
  /** The log output, unless the caller's logger writes elsewhere. */
  readonly logSink: LogSink | undefined;
  readonly metrics: EngineMetrics;
  /** The `metrics` channel, its SSE stream and the /performance/metrics reports. */
  readonly liveMetrics: MetricsService;
  /** RSS high/low-water marks; register what gives memory back with `memory.onPressure()`. */
  readonly memory: MemoryWatchdog;
  /** What the engine depends on outside the process: `health.register('redis', probe)`; read by /performance/health. */
  readonly health: HealthRegistry;
  /** `/performance/report`: every part's figures in one document; a part adds its own with `report.register(name, section)`. */
  readonly report = new PerformanceReport();
  readonly version = packageVersion();
  private readonly app: uWS.TemplatedApp;
  private readonly gateway: WebSocketGateway;
  /** HTTP-streaming, SSE and uni transports, and /emulation. */
  private readonly streams: StreamGateway;
  private readonly fanout: Fanout;
  /** Where channels live: this process (MemoryBroker) or every node on Redis. */
  readonly broker: Broker;
  /** Node-scoped channels, and every channel without Redis. */
  private memoryBroker!: MemoryBroker;
  /** Shared channels, when Redis is configured. */
  private redisBroker: RedisBroker | undefined;
  /** Exceptions caught inside callbacks (encodes, flushes, HTTP writes), counted and logged. */
  readonly internalErrors: InternalErrors;
  /** The gate of data published from outside (clients, the server API, publish()). */
  private readonly publications: PublicationCheck;
  private readonly runtime: ActorRuntime;
  private readonly registry = new ConnectionRegistry();
  private readonly pipeline: MarketPipeline;
  /** With SUPERNOVA_MARKET_SOURCE=mirror: the market of the node that runs the pipeline, in place of this one's (which is not started). */
  private readonly mirror: MarketMirror | undefined;
  private readonly dashboard: StaticFiles | undefined;
  private readonly rateLimiter: HttpRateLimiter;
  /** PostgreSQL, when SUPERNOVA_DATABASE_URL is set: migrated at start. */
  readonly database: Database | undefined;
  /** The multi-level cache (L1 here, L2 Redis and L3 PostgreSQL when configured): `cache.get(key, load)`. */
  readonly cache: Cache;
  /** Task workers: `tasks.submit(...)`, and `tasks.register(type, {schema, run, cpu, retryable})` for the application's own types. */
  readonly tasks: Tasks;
  /** The database and its writers (bars, ticks, their spill), when SUPERNOVA_DATABASE_URL is set. */
  private readonly storage: Storage | undefined;
  /** The configured Redis (single, Sentinel or Cluster), or undefined without SUPERNOVA_REDIS_URL. */
  private readonly redis: RedisConnector | undefined;
  private readonly feed: Feed;
  /** What scores headlines, with SUPERNOVA_SENTIMENT (see makeScorer). */
  private readonly scorer: SentimentScorer | undefined;
  /** The sentiment pipeline and the analyzer of the analyze route and RPC, with SUPERNOVA_SENTIMENT. */
  private readonly sentiment: SentimentWiring | undefined;
  /** Where HTTP ingest (and any other non-feed source) pushes ticks into the pipeline. */
  readonly ingest: TickIngest;
  private readonly startedAt = Date.now();
  /** This process in the cluster's directory (and `/api/info`). */
  private readonly nodeUid = randomUUID();
  private listenSocket: uWS.us_listen_socket | undefined;
  private state: LifecycleState = 'new';
  /** The one stop in progress or done: every caller of stop() waits for the same. */
  private stopped: Promise<void> | undefined;
  /** Ends drain()'s delay early: stop() during the delay does not wait for it. */
  private endDrainDelay: (() => void) | undefined;
  private actors: ConnectionActors | undefined;
  private readonly actorDeps: ConnectionDeps;
  /** What the app's handlers reach the engine through; detached at stop (see Detachable). */
  private readonly detachables: Detachable<object>[] = [];

  constructor(options: EngineOptions) {
    const config = (this.config = options.config);
    const logging = options.logger ? { logger: options.logger, sink: options.logSink } : createLogger(config);
    this.log = logging.logger;
    this.logSink = logging.sink;
    const namespaces = new NamespaceRegistry(config.namespaces, config.channelWithoutNamespace);
    this.internalErrors = new InternalErrors({ log: this.log, logPeriodMs: config.errorLogPeriodMs });
    const onError = this.internalErrors.report;
    this.health = new HealthRegistry({ onError });
    this.publications = new PublicationCheck({
      namespaces,
      maxDepth: config.maxDataDepth,
      onRefused: (problem) => this.metrics.publicationsRefused.inc({ reason: problem }),
    });
    this.app = uWS.App();
    this.runtime = new ActorRuntime({ name: 'supernova', logger: this.log });
    this.memory = new MemoryWatchdog({ highWaterBytes: config.memoryHighWaterBytes, lowWaterBytes: config.memoryLowWaterBytes, intervalMs: config.memoryCheckIntervalMs, log: this.log });
    const openFiles = openFileSoftLimit();
    // A WebSocket and a stream session (HTTP-streaming, SSE) are held to the same limits and drive the same actors.
    const sessions: SessionOptions = {
      maxFrameBytes: config.maxFrameBytes,
      maxBackpressureBytes: config.maxBackpressureBytes,
      commandsPerSecond: config.commandsPerSecond,
      commandBurst: config.commandBurst,
      pingIntervalMs: config.pingIntervalMs,
      pongTimeoutMs: config.pongTimeoutMs,
      memoryPressure: () => this.memory.underPressure,
      origins: new OriginPolicy(config.allowedOrigins),
      log: this.log,
      acceptor: { open: (port) => (this.actors as ConnectionActors).open(port) },
      onDisconnect: (code) => this.metrics.disconnects.inc({ code: String(code) }),
      onClientClose: (code) => this.metrics.clientCloses.inc({ kind: clientCloseKind(code) }),
      onError,
    };
    this.gateway = new WebSocketGateway(this.app, {
      ...sessions,
      path: '/connection/websocket',
      maxConnections: config.maxConnections,
      ...(openFiles === undefined ? {} : { maxSockets: openFileBudget(openFiles).maxSockets }),
      compression: config.wsCompression,
      compressMinBytes: config.wsCompressionMinBytes,
    });
    this.streams = new StreamGateway(this.app, {
      ...sessions,
      maxSessions: config.streamMaxSessions,
      writeQueue: { maxWrites: config.streamWriteQueueMax, maxBytes: config.streamWriteQueueBytes },
      // Not the host name: nodes of one host share it, and a forward goes to the one node named.
      node: this.nodeUid,
      // With the Redis broker, a request for a session of another node goes to that node's control channel.
      forwarding: () => this.redisBroker !== undefined,
      forward: async (req, protobuf) => (this.redisBroker ? this.redisBroker.sendEmulation({ session: req.session, node: req.node, data: req.data, protobuf }) : false),
    });
    this.fanout = new Fanout(withStreamTopics(this.gateway.topicPort(), this.streams.topics), wireCodecs, {
      batchMax: config.fanoutBatchMax, flushMs: config.fanoutFlushMs, onError,
      delta: { maxBaseBytes: config.deltaBaseMaxBytes, maxBaseChannels: config.deltaBaseMaxChannels },
    });
    this.storage = config.databaseUrl ? new Storage({ config: { ...config, databaseUrl: config.databaseUrl }, log: this.log, onError }) : undefined;
    this.database = this.storage?.database;
    const database = this.database;
    if (database) this.health.register('database', () => (database.up ? { up: true } : { up: false, detail: `no answer from ${database.target}` }));
    // One connector for every part that talks to Redis (broker, feed, rate limits); each opens and closes its own connections.
    this.redis = redisConnectorFrom(config);
    this.broker = this.makeBroker(namespaces);
    this.metrics = new EngineMetrics({
      connections: () => this.gateway.connections,
      actorStats: () => this.runtime.stats(),
      delivered: () => this.fanout.delivered,
      pipelines: () => this.pipelineCounters(),
      internalErrors: () => this.internalErrors.byPlace(),
      history: () => this.memoryBroker.historyStats(),
      logLinesDropped: () => this.logSink?.dropped ?? 0,
      refusedConnections: () => this.gateway.refused,
      memoryPressure: () => this.memory.underPressure,
      rateLimited: () => this.rateLimiter.limited,
      rateLimitFallbacks: () => this.rateLimiter.fallbacks,
      redisBroker: () => this.redisBroker?.stats(),
      databaseQueries: () => this.database?.queryStats(),
      databaseLatency: () => this.database?.queryHistograms(),
      persistence: () => this.storage?.persistence() ?? {},
      delta: () => ({ ...this.fanout.delta.stats, baseBytes: this.fanout.delta.baseBytes, waiting: this.gateway.deltaWaiters.size + this.streams.topics.waiters.size }),
    });
    registerStreamMetrics(this.metrics.registry, () => this.streams.stats());
    this.cache = this.makeCache();
    ({ pipeline: this.pipeline, feed: this.feed, ingest: this.ingest } = marketPipelineFrom(config, this.pipelinePublisher(), this.log, {
      redis: this.redis,
      onFinalBar: this.storage?.onFinalBar,
      onTicks: this.storage?.onTicks,
    }));
    registerMarketMetrics(this.metrics.registry, this.pipeline);
    this.mirror = config.marketSource === 'mirror'
      ? new MarketMirror({ channels: this.broker, symbols: config.symbols, intervals: config.barIntervals, historySize: config.barHistory, logger: this.log })
      : undefined;
    // What the bars API, the snapshot routes and the market RPC read.
    const market: { state: MarketState; bars: BarStore } = this.mirror ?? this.pipeline;
    registerHealthMetrics(this.metrics.registry, { lifecycle: () => this.state, components: this.health });

    // Past the in-memory ring, the bars API and RPC read what PostgreSQL keeps.
    const storage = this.storage;
    const settled = () => storage?.barsSettled() ?? true;
    const reads = config.cacheReads ? readThrough(this.cache) : undefined;
    const archive = database ? new PostgresBarArchive({ db: database, ...(reads ? { cache: reads } : {}), settled }) : undefined;
    this.scorer = config.sentiment ? this.makeScorer() : undefined;
    this.sentiment = this.scorer
      ? sentimentFrom(config, { scorer: this.scorer, publisher: this.pipelinePublisher(), registry: this.metrics.registry, log: this.log, archive: this.storage?.news, redis: this.redis })
      : undefined;
    const rpc = new Map<string, RpcMethod>();
    for (const [name, fn] of Object.entries(marketRpcMethods(market.state, market.bars, archive))) rpc.set(name, (data) => clientErrors(() => fn(data)));
    rpc.set(SENTIMENT_ANALYZE_METHOD, analyzeRpc(this.sentiment?.analyzer));
    // sentiment.recompute rewrites stored sentiment: the route's cached hours of the symbol go with it.
    const cache = this.cache;
    const recompute = database && this.scorer
      ? { store: databaseRecomputeStore(database, (symbol) => cache.invalidatePrefix(sentimentHoursCachePrefix(symbol))), scorer: this.scorer }
      : undefined;
    const tasks = tasksFrom(config, {
      runtime: this.runtime, redis: this.redis, cache: this.cache, registry: this.metrics.registry, bars: { store: market.bars, archive }, sentiment: recompute,
      publish: (ch, data) => this.broker.publish(ch, data), onError, node: this.nodeUid,
    });
    this.tasks = tasks.tasks;
    for (const [type, definition] of Object.entries(options.tasks ?? {})) this.tasks.register(type, definition);
    for (const [name, fn] of Object.entries(tasks.rpc)) rpc.set(name, fn);
    for (const [name, fn] of Object.entries(options.rpc ?? {})) rpc.set(name, fn);

    this.actorDeps = {
      broker: this.broker,
      fanout: this.fanout,
      namespaces,
      publications: this.publications,
      tokens: tokenVerifierFrom(config, onError),
      rpc,
      registry: this.registry,
      metrics: this.metrics,
      log: this.log,
      // The node's unique id, as Centrifugo's: nodes of one host share its name, and `/emulation`
      // requests name the node that holds their session.
      node: { name: this.nodeUid, version: this.version },
      limits: { allowAnonymous: config.allowAnonymous, personalChannelPrefix: config.personalChannel ? (config.personalChannelNamespace === undefined ? '' : `${config.personalChannelNamespace}:`) : undefined, maxChannels: config.maxChannelsPerConnection, pingIntervalMs: config.pingIntervalMs, expiredCloseDelayMs: config.expiredCloseDelayMs },
    };

    this.rateLimiter = new HttpRateLimiter({
      rules: { api: config.httpRateApi, ingest: config.httpRateIngest, public: config.httpRatePublic, ops: config.httpRateOps },
      ruleNames: { api: configEntries.httpRateApi.env, ingest: configEntries.httpRateIngest.env, public: configEntries.httpRatePublic.env, ops: configEntries.httpRateOps.env },
      apiKeys: config.apiKey ? [config.apiKey] : [],
      trustProxy: config.trustProxy,
      ...(this.redis ? { redis: { connector: this.redis, prefix: config.redisPrefix } } : {}),
      log: this.log,
    });
    const router = new Router({
      log: this.log,
      maxBodyBytes: config.httpMaxBodyBytes,
      onResponse: (route, status, seconds, method) => this.metrics.observeHttp(route, method, status, seconds),
      onError,
      limit: this.rateLimiter.check,
    });
    this.liveMetrics = new MetricsService({
      metrics: this.metrics,
      readings: {
        startedAt: this.startedAt,
        connections: () => this.gateway.connections,
        publicationsTotal: () => this.fanout.published,
        deliveriesTotal: () => this.fanout.delivered,
        channels: () => this.fanout.channels(),
        pipelines: () => this.pipelineCounters(),
      },
      publisher: this.broker,
      intervalMs: config.metricsIntervalMs,
      sse: { maxClients: config.sseMaxClients, heartbeatMs: config.sseHeartbeatMs, maxSkipped: config.sseMaxSkipped },
      log: this.log,
    });
    this.liveMetrics.routes(router);
    this.liveMetrics.extra.register('tasks', tasks.summary);
    this.report.register('tasks', tasks.summary);
    registerTasksApi(router, { apiKey: config.apiKey, tasks: this.tasks });
    if (database) {
      this.liveMetrics.extra.register('database', () => ({ up: database.up, persistBuffered: Object.values(this.storage?.persistence() ?? {}).reduce((n, w) => n + w.buffered, 0) }));
    }
    const scorer = this.scorer;
    const models = () => (scorer ? { enabled: true, ...scorer.report() } : { enabled: false });
    const sentimentFigures = () => this.sentimentReport();
    this.liveMetrics.extra.register('models', models);
    // The channel gets totals every second; the report has them by source and reason.
    this.liveMetrics.extra.register('sentiment', () => this.sentimentTotals());
    this.report.register('models', models);
    this.report.register('sentiment', sentimentFigures);
    router.get('/performance/metrics/database', async () => ({ body: await this.databaseReport() }));
    router.get('/performance/metrics/cache', () => ({ body: this.cache.report() }));
    router.get('/metrics', async () => {
      const { body, contentType } = await this.metrics.render();
      return { body, headers: { 'content-type': contentType } };
    });
    const health: HealthRouteSources = {
      lifecycle: () => this.state,
      components: this.health,
      uptimeSeconds: () => (Date.now() - this.startedAt) / 1000,
      figures: () => ({
        connections: this.gateway.connections, version: this.version, maxConnections: config.maxConnections, openSockets: this.gateway.openSockets ?? null,
        memory: { ...this.memory.report(), refusedConnections: this.gateway.refused.memory },
      }),
    };
    registerHealthRoutes(router, health);
    this.report.register('health', () => healthReport(health));
    this.report.register('resources', () => this.liveMetrics.resources());
    this.report.register('api', () => this.liveMetrics.api());
    this.report.register('database', () => this.databaseReport());
    this.report.register('cache', () => this.cache.report());
    router.get('/performance/report', async () => ({ body: await this.report.render() }));
    registerBarsApi(router, { store: market.bars, hasSymbol: (s) => market.state.has(s), symbols: () => market.state.symbols() }, archive && { archive, ...(reads ? { responses: { cache: reads, settled } } : {}) });
    if (config.apiKey) {
      registerServerApi(router, {
        apiKey: config.apiKey,
        broker: this.broker,
        namespaces,
        publications: this.publications,
        channels: () => this.fanout.channels(),
        control: (cmd) => this.control(cmd),
        nodes: async () => (this.redisBroker ? this.redisBroker.nodes() : [this.nodeInfo()]),
      });
    } else {
      registerDisabledServerApi(router);
    }
    if (config.dashboard) {
      this.dashboard = new StaticFiles({
        dir: resolve(config.webDir),
        log: this.log,
        maxBytes: DASHBOARD_MAX_BYTES,
        pageConfig: () => ({ symbols: config.symbols, websocket: '/connection/websocket', intervals: config.barIntervals.map((name) => barInterval(name)) }),
      });
      this.detachables.push(this.dashboard.register(this.app));
    }
    registerIngestApi(router, {
      apiKey: config.apiKey, sink: this.ingest, maxTicks: config.ingestMaxTicks, maxBodyBytes: config.ingestMaxBodyBytes,
      ...(this.mirror ? { misdirected: `this node mirrors the market (${configEntries.marketSource.env}=mirror): send ticks to the node that runs the market pipeline (${configEntries.marketSource.env}=pipeline)` } : {}),
    });
    registerMarketSnapshotApi(router, market.state);
    registerNewsIngestApi(router, { apiKey: config.apiKey, intake: this.sentiment?.pipeline, maxItems: config.ingestMaxNews });
    registerModelsApi(router, { apiKey: config.apiKey, scorer: this.scorer });
    registerSentimentApi(router, {
      apiKey: config.apiKey, aggregates: this.sentiment?.pipeline.aggregates, analyzer: this.sentiment?.analyzer, symbols: config.symbols,
      stored: database ? { db: database, cache: reads } : undefined,
    });
    this.detachables.push(this.gateway.attach(), this.streams.attach(), router.attach(this.app));
  }

  /**
   * The one place the scorer is built: the model replicas (worker threads), or with
   * SUPERNOVA_ML_REPLICAS=0 the model on the calling thread; nothing else in the engine knows which.
   */
  private makeScorer(): SentimentScorer {
    const config = { ...this.config, mlModelDir: resolve(this.config.mlModelDir) };
    const scorer = sentimentScorerFromConfig(config, { runtime: this.runtime, redis: this.redis, registry: this.metrics.registry, log: this.log });
    if (scorer instanceof ModelReplicas) registerModelMetrics(this.metrics.registry, () => scorer.stats());
    return scorer;
  }

  /** The sentiment pipeline's figures in /performance/report. */
  private sentimentReport(): Record<string, unknown> {
    const s = this.sentiment;
    if (!s) return { enabled: false };
    const p = s.pipeline;
    return {
      enabled: true, buffered: p.buffered, batchesInFlight: p.batchesInFlight, maxBuffered: this.config.sentimentMaxBuffered,
      symbols: p.aggregates.stats().symbols, aggregates: p.aggregates.stats(), published: p.published, scoreErrors: p.scoreErrors, publishErrors: p.publishErrors,
      analyzePendingTexts: s.analyzer.pendingTexts, sources: p.sourceCounts(), refused: p.refusals(),
      ...(s.redisNews ? { redis: { acked: s.redisNews.acked, claimed: s.redisNews.claimed, paused: s.redisNews.paused, readErrors: s.redisNews.readErrors } } : {}),
    };
  }

  /** The sentiment figures of the metrics channel: a few totals, not the report's breakdown. */
  private sentimentTotals(): Record<string, unknown> {
    const p = this.sentiment?.pipeline;
    if (!p) return { enabled: false };
    const sum = (field: 'scored' | 'shed' | 'refused' | 'failed') => Object.values(p.sourceCounts()).reduce((n, c) => n + c[field], 0);
    return { buffered: p.buffered, batchesInFlight: p.batchesInFlight, symbols: p.aggregates.stats().symbols, scored: sum('scored'), refused: sum('refused'), shed: sum('shed'), failed: sum('failed') };
  }

  /**
   * The memory broker alone, or with Redis the Redis broker for shared channels and the memory
   * broker for node-scoped ones (this node's metrics).
   */
  private makeBroker(namespaces: NamespaceRegistry): Broker {
    const config = this.config;
    const onPublished = (namespace: string) => this.metrics.countPublication(namespace);
    const memory = (this.memoryBroker = new MemoryBroker({ namespaces, fanout: this.fanout, limits: { maxBytes: config.historyMaxBytes }, onPublished }));
    // Under memory pressure history gives back first: half of it at once, then a tenth at each
    // check while the pressure lasts (what it frees may be refilled; all of it at once would be
    // every client's recovery window for a spike that history may not have caused).
    this.memory.onPressure(({ entering }) => void memory.shedHistory(entering ? 0.5 : 0.9));
    const connector = this.redis;
    if (config.broker === 'memory' || !connector) return memory;
    // The pipeline node's market channels reach a mirror only through Redis: only the Redis broker needs the tap.
    const fanout = config.marketSource === 'mirror'
      ? new FanoutTap(this.fanout, (channel, pub) => this.mirror?.receive(channel, pub.data), this.internalErrors.report)
      : this.fanout;
    this.redisBroker = new RedisBroker({
      namespaces,
      fanout,
      connector,
      prefix: config.redisPrefix,
      presenceTtlMs: config.presenceTtlMs,
      metaTtlMs: 24 * 3_600_000,
      onPublished,
      onInsufficientState: (channel) => {
        this.registry.tellAll({ type: 'unsubscribe', channel, code: UnsubscribeCode.InsufficientState });
        this.mirror?.resync(channel);
      },
      onError: this.internalErrors.report,
      node: { uid: this.nodeUid, info: () => this.nodeInfo(), announceMs: config.nodeAnnounceMs, onCommand: (cmd) => void applyControl(this.registry, cmd), onEmulation: (req) => this.streams.forwarded(req) },
    });
    const redis = this.redisBroker;
    this.health.register('redis', () => (redis.connected ? { up: true } : { up: false, detail: `no connection to ${redis.target}` }));
    return new ScopedBroker(namespaces, memory, redis);
  }

  /**
   * The cache's tiers follow what is configured: L2 with Redis, L3 with PostgreSQL. Its health
   * component (`cache`) is down while one of them is skipped; under memory pressure L1 gives back
   * half, then a tenth at each check, like history.
   */
  private makeCache(): Cache {
    const cache = cacheFromConfig(this.config, { runtime: this.runtime, redis: this.redis, database: this.database, registry: this.metrics.registry, node: this.nodeUid, log: this.log });
    registerCacheMetrics(this.metrics.registry, () => cache.stats());
    if (this.redis || this.database) this.health.register('cache', () => cache.health());
    this.memory.onPressure(({ entering }) => void cache.shed(entering ? 0.5 : 0.1));
    return cache;
  }

  /** `/performance/metrics/database`, and the database section of the report. */
  private async databaseReport(): Promise<Record<string, unknown>> {
    return this.storage ? { configured: true, ...(await this.storage.report()) } : { configured: false };
  }

  /** This node as `/api/info` lists it. */
  private nodeInfo(): NodeInfo {
    let numChannels = 0;
    let numSubs = 0;
    for (const [, n] of this.fanout.channels()) {
      numChannels++;
      numSubs += n;
    }
    return {
      uid: this.nodeUid, name: hostname(), version: this.version,
      num_clients: this.registry.numClients, num_users: this.registry.numUsers,
      num_channels: numChannels, num_subs: numSubs,
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
    };
  }

  /** Applies a server API command here and sends it to the other nodes, which hold the user's other connections. */
  private async control(cmd: ControlCommand): Promise<void> {
    applyControl(this.registry, cmd);
    await this.redisBroker?.sendControl(cmd);
  }

  /**
   * The pipelines publish what this node computes: when Redis is unreachable its own
   * subscribers still get it (without a position), rather than the dashboards freezing.
   */
  private pipelinePublisher(): ChannelPublisher {
    const broker = this.broker;
    if (broker.publishSync) return broker as ChannelPublisher;
    return { publish: (channel, data) => broker.publish(channel, data, { localWhenDown: true }) };
  }

  /** The port the engine listens on (useful with port 0). */
  get port(): number {
    return this.listenSocket ? uWS.us_socket_local_port(this.listenSocket) : 0;
  }

  get connections(): number {
    return this.gateway.connections;
  }

  /** HTTP-streaming, SSE and uni sessions open now. */
  get streamSessions(): number {
    return this.streams.size;
  }

  /** `draining` from drain() until its delay ends, then `stopping`. */
  get lifecycle(): LifecycleState {
    return this.state;
  }

  private pipelineCounters(): Record<string, PipelineCounters> {
    const p = this.pipeline;
    return { market: { ticksIn: p.ticksIn, ticksDropped: p.ticksDropped, published: p.published, publishErrors: p.publishErrors } };
  }

  /**
   * Reads SUPERNOVA_ML_MODEL_DIR again and swaps in its model if it is a new version (what
   * `POST /api/v1/models/sentiment/reload` and SIGHUP do); false when unchanged or sentiment is off.
   */
  async reloadModel(): Promise<boolean> {
    return (await this.scorer?.reload()) ?? false;
  }

  /** Publishes into a channel as the server API would, with the same check of the data (InvalidDataError). */
  async publish(channel: string, data: unknown): Promise<StreamPosition | undefined> {
    const bytes = this.publications.check(channel, data);
    return this.broker.publish(channel, data, { bytes });
  }

  async start(): Promise<{ port: number }> {
    if (this.state !== 'new') throw new Error(`engine cannot start: it is ${this.state}`);
    // First, so a database that must answer (SUPERNOVA_DATABASE_AT_START=require) or a feed source that is down fails start-up before anything else is opened.
    await this.storage?.start();
    try {
      await this.feed.start?.();
    } catch (err) {
      await this.storage?.abort();
      throw err;
    }
    this.runtime.start();
    try {
      // After the runtime: the model replicas are actors under it.
      await this.scorer?.start();
    } catch (err) {
      await this.scorer?.stop().catch(() => {});
      await this.runtime.stop();
      await this.feed.stop?.();
      await this.storage?.abort();
      const detail = err instanceof Error ? err.message : String(err);
      throw new SentimentStartError(`the sentiment model did not load from ${configEntries.mlModelDir.env}=${this.config.mlModelDir} with ${configEntries.mlBackend.env}=${this.config.mlBackend}: ${detail} (or set ${configEntries.sentiment.env}=false)`, { cause: err });
    }
    this.actors = new ConnectionActors(this.runtime.supervisor('connections', { maxChildrenPerShard: 500 }), this.actorDeps, {
      mailboxLimit: this.config.mailboxLimit,
      handlerTimeoutMs: this.config.handlerTimeoutMs,
      maxCrashes: this.config.maxCrashes,
      crashWindowMs: this.config.crashWindowMs,
    });
    await this.broker.start();
    await this.cache.start();
    await this.tasks.start();
    // Before the port opens, so the first request already sees the bars that history holds.
    await this.mirror?.start();
    await this.dashboard?.start();
    this.memory.start();
    await this.rateLimiter.start();
    this.listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
      this.app.listen(this.config.host, this.config.port, (socket) => {
        if (socket) resolve(socket);
        else reject(new Error(`cannot listen on ${this.config.host}:${this.config.port} (SUPERNOVA_HOST / SUPERNOVA_PORT): address in use or not available`));
      });
    });
    this.gateway.start();
    this.streams.start();
    if (!this.mirror) this.pipeline.start();
    try {
      // After the broker: its sources publish from the first item on. A Redis news stream that cannot be read fails start-up.
      await this.sentiment?.pipeline.start();
    } catch (err) {
      // Everything else is up by now: release it as a stop of a running engine would.
      this.state = 'running';
      await this.stop();
      throw err;
    }
    this.liveMetrics.start();
    this.state = 'running';
    if (!this.config.apiKey) this.log.warn('server API is off: set SUPERNOVA_API_KEY to turn on /api/*');
    this.log.info({ port: this.port, host: this.config.host, feed: this.config.feed, market: this.config.marketSource }, 'supernova listening');
    return { port: this.port };
  }

  /**
   * SIGTERM's shutdown: readiness (/performance/health/ready) turns 503 at once, the engine goes
   * on serving as before for `delayMs` (accepting clients too) so that load balancers notice and
   * stop sending it any, then stop(). A stop() during the delay cuts it short.
   */
  async drain(delayMs = this.config.drainDelayMs): Promise<void> {
    if (this.state !== 'running') return this.stop();
    this.state = 'draining';
    this.log.info({ delayMs }, 'not ready: draining');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      this.endDrainDelay = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return this.stop();
  }

  /**
   * Graceful stop, at once: no new connections, every client told 3001 (reconnect elsewhere),
   * pipelines and actors stopped, and every socket, timer and handle released.
   */
  stop(): Promise<void> {
    this.endDrainDelay?.();
    this.stopped ??= this.release();
    return this.stopped;
  }

  private async release(): Promise<void> {
    const wasRunning = this.state === 'running' || this.state === 'draining';
    this.state = 'stopping';
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
    this.gateway.drain();
    this.streams.drain();
    this.liveMetrics.stop();
    this.memory.stop();
    if (wasRunning) await this.pipeline.stop();
    await this.sentiment?.pipeline.stop();
    await this.scorer?.stop();
    await this.mirror?.stop();
    this.fanout.flush();
    await this.feed.stop?.();
    const deadline = Date.now() + this.config.shutdownGraceMs;
    while (this.gateway.connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.gateway.stop();
    this.streams.stop();
    // Before the runtime (its shards are actors) and the database (it records its hot keys there).
    await this.tasks.stop();
    await this.cache.stop();
    await this.runtime.stop();
    await this.broker.stop();
    await this.storage?.stop();
    this.dashboard?.stop();
    await this.rateLimiter.stop();
    this.app.close();
    // uWS keeps what was registered on the app for the life of the process: empty it.
    for (const d of this.detachables) d.detach();
    this.state = 'stopped';
    this.log.info({ disconnected: DisconnectCode.Shutdown }, 'supernova stopped');
  }
}

/**
 * `sentiment.analyze`: the analyze route's body and answer over RPC. Bad input is error 107
 * naming the limit; a busy or stopped scorer 111 (temporary), the pipeline off 108.
 */
function analyzeRpc(analyzer: Analyzer | undefined): RpcMethod {
  return async (data) => {
    if (!analyzer) throw new ProtocolError(ErrorCode.NotAvailable, `sentiment is off (${configEntries.sentiment.env}=false)`);
    try {
      return await analyzer.analyze(data);
    } catch (err) {
      if (isClientError(err)) throw new ProtocolError(ErrorCode.BadRequest, err.message);
      if (err instanceof AnalyzeBusyError || scorerUnavailable(err)) throw new ProtocolError(ErrorCode.TooManyRequests, (err as Error).message);
      throw err;
    }
  };
}

/** Errors of the market RPC methods are the caller's fault: bad request with their message. */
async function clientErrors(run: () => unknown): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (isClientError(err)) throw new ProtocolError(ErrorCode.BadRequest, err.message);
    if (err instanceof StorageError) throw new ProtocolError(ErrorCode.Internal, 'bars older than memory holds are in the database, which does not answer now; retry later');
    throw err;
  }
}
