import { z } from 'zod';
import { BrokerUnavailableError, type Broker, type ControlCommand, type NamespaceRegistry, type NodeInfo, type PublicationCheck } from '../broker/index.js';
import { DisconnectCode, ErrorCode, ProtocolError } from '../protocol/index.js';
import { HttpError, type HttpResult, type Router } from '../http/index.js';
import { statusOf } from './status-of.js';
import { apiDisabledError, apiKeyGuard } from './api-key.js';

export interface ServerApiOptions {
  apiKey: string;
  broker: Broker;
  namespaces: NamespaceRegistry;
  /** Checks publication data before it is published (400 with code 107, 429... see statusOf). */
  publications: Pick<PublicationCheck, 'check'>;
  /** Applies a command to a user's connections on whichever nodes hold them. */
  control: (cmd: ControlCommand) => Promise<void>;
  channels: () => Iterable<[string, number]>;
  /** The live nodes, this one first. */
  nodes: () => Promise<NodeInfo[]>;
}

const channel = z.string().min(1).max(255);
const schemas = {
  publish: z.object({ channel, data: z.unknown().refine((v) => v !== undefined, 'data is required'), tags: z.record(z.string(), z.string()).optional() }),
  broadcast: z.object({ channels: z.array(channel).min(1).max(10_000), data: z.unknown().refine((v) => v !== undefined, 'data is required') }),
  history: z.object({ channel, limit: z.number().int().min(-1).optional(), since: z.object({ offset: z.number().int().min(0), epoch: z.string() }).optional(), reverse: z.boolean().optional() }),
  channelOnly: z.object({ channel }),
  channels: z.object({ pattern: z.string().max(255).optional() }),
  unsubscribe: z.object({ channel, user: z.string(), client: z.string().optional() }),
  subscribe: z.object({
    channel, user: z.string(), client: z.string().optional(), data: z.unknown().optional(),
    recover_since: z.object({ offset: z.number().int().min(0), epoch: z.string().max(64) }).optional(),
  }),
  refresh: z.object({
    user: z.string(), client: z.string().optional(), expired: z.boolean().optional(),
    expire_at: z.number().int().min(0).optional(), info: z.unknown().optional(),
  }),
  disconnect: z.object({
    user: z.string(),
    client: z.string().optional(),
    disconnect: z.object({ code: z.number().int().min(3000).max(4999), reason: z.string().max(100) }).optional(),
  }),
  empty: z.object({}),
  batch: z.object({ commands: z.array(z.record(z.string(), z.unknown())).max(1000), parallel: z.boolean().optional() }),
};

/** One command of a batch: its method and the request, already validated. */
type MethodRun = (body: unknown) => Promise<unknown>;
interface Method { schema: z.ZodType; run: MethodRun }

/** Centrifugo's server HTTP API: `POST /api/<method>` with `Authorization: apikey KEY`, `{result}` or `{error}`. */
export function registerServerApi(router: Router, o: ServerApiOptions): void {
  const authorize = apiKeyGuard(o.apiKey);
  const methods = new Map<string, Method>();
  const route = <S extends z.ZodType>(method: string, schema: S, run: (body: z.output<S>) => Promise<unknown>) => {
    methods.set(method, { schema, run: run as MethodRun });
    router.post(`/api/${method}`, async (ctx) => {
      authorize(ctx);
      const body = parse(method, schema, ctx.body.length === 0 ? {} : ctx.json());
      try {
        return ok(await run(body));
      } catch (err) {
        if (err instanceof ProtocolError) throw new HttpError(err instanceof BrokerUnavailableError ? err.httpStatus : statusOf(err.code), err.code, err.message, { cause: err });
        throw err;
      }
    });
  };

  route('publish', schemas.publish, async (b) => {
    const bytes = o.publications.check(b.channel, b.data);
    const pos = await o.broker.publish(b.channel, b.data, b.tags ? { tags: b.tags, bytes } : { bytes });
    return pos ?? {};
  });
  route('broadcast', schemas.broadcast, async (b) => {
    // The data is the same for every channel: checked once per namespace, whose size limit may differ.
    const checked = new Map<string, number>();
    const check = (ch: string): number => {
      const ns = o.namespaces.resolve(ch).options.name;
      let bytes = checked.get(ns);
      if (bytes === undefined) checked.set(ns, (bytes = o.publications.check(ch, b.data)));
      return bytes;
    };
    const responses = await Promise.all(b.channels.map(async (ch) => {
      try {
        return { result: (await o.broker.publish(ch, b.data, { bytes: check(ch) })) ?? {} };
      } catch (err) {
        if (err instanceof ProtocolError) return { error: { code: err.code, message: err.message } };
        throw err;
      }
    }));
    return { responses };
  });
  route('history', schemas.history, async (b) => {
    const ns = o.namespaces.resolve(b.channel).options;
    if (ns.historySize === 0) throw new ProtocolError(ErrorCode.NotAvailable, `${ns.name} channels keep no history`);
    const q: { limit: number; since?: { offset: number; epoch: string }; reverse?: boolean } = { limit: b.limit ?? 0 };
    if (b.since) q.since = b.since;
    if (b.reverse !== undefined) q.reverse = b.reverse;
    return o.broker.history(b.channel, q);
  });
  route('presence', schemas.channelOnly, async (b) => {
    presenceOn(o.namespaces, b.channel);
    return { presence: await o.broker.presence(b.channel) };
  });
  route('presence_stats', schemas.channelOnly, async (b) => {
    presenceOn(o.namespaces, b.channel);
    return o.broker.presenceStats(b.channel);
  });
  route('channels', schemas.channels, async (b) => {
    const match = b.pattern ? globToRegExp(b.pattern) : undefined;
    const channels: Record<string, { num_clients: number }> = {};
    for (const [name, n] of o.channels()) if (!match || match.test(name)) channels[name] = { num_clients: n };
    return { channels };
  });
  route('info', schemas.empty, async () => ({ nodes: await o.nodes() }));
  route('unsubscribe', schemas.unsubscribe, async (b) => {
    o.namespaces.resolve(b.channel);
    await o.control(b.client === undefined ? { kind: 'unsubscribe', user: b.user, channel: b.channel } : { kind: 'unsubscribe', user: b.user, channel: b.channel, client: b.client });
    return {};
  });
  route('subscribe', schemas.subscribe, async (b) => {
    o.namespaces.resolve(b.channel);
    // The data goes to clients in the subscribe push: held to what a publication may carry.
    if (b.data !== undefined) o.publications.check(b.channel, b.data);
    await o.control({
      kind: 'subscribe', user: b.user, channel: b.channel,
      ...(b.client === undefined ? {} : { client: b.client }),
      ...(b.data === undefined ? {} : { data: b.data }),
      ...(b.recover_since ? { recoverSince: b.recover_since } : {}),
    });
    return {};
  });
  route('refresh', schemas.refresh, async (b) => {
    await o.control({
      kind: 'refresh', user: b.user,
      ...(b.client === undefined ? {} : { client: b.client }),
      ...(b.expired ? { expired: true } : {}),
      ...(b.expire_at === undefined ? {} : { expireAt: b.expire_at }),
      ...(b.info === undefined ? {} : { info: b.info }),
    });
    return {};
  });
  route('history_remove', schemas.channelOnly, async (b) => {
    o.namespaces.resolve(b.channel);
    await o.broker.removeHistory(b.channel);
    return {};
  });
  // Several commands in one request, as Centrifugo's batch: `{commands: [{publish: {...}}, ...]}`
  // answered `{replies: [{publish: {...}} | {error}, ...]}` in order. One command's failure is
  // its reply's error; the others run. In order one after another unless `parallel`.
  route('batch', schemas.batch, async (b) => {
    const runOne = async (command: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const keys = Object.keys(command);
      const name = keys[0];
      const method = keys.length === 1 && name !== undefined && name !== 'batch' ? methods.get(name) : undefined;
      if (!method || name === undefined) {
        return { error: { code: ErrorCode.BadRequest, message: `a batch command holds one method of ${[...methods.keys()].filter((m) => m !== 'batch').join(', ')}; got ${JSON.stringify(keys.slice(0, 3))}` } };
      }
      try {
        return { [name]: await method.run(parse(name, method.schema, command[name] ?? {})) };
      } catch (err) {
        if (err instanceof HttpError) return { error: { code: err.code, message: err.message } };
        if (err instanceof ProtocolError) return { error: { code: err.code, message: err.message } };
        throw err;
      }
    };
    if (b.parallel === true) return { replies: await Promise.all(b.commands.map(runOne)) };
    const replies: Record<string, unknown>[] = [];
    for (const command of b.commands) replies.push(await runOne(command));
    return { replies };
  });
  route('disconnect', schemas.disconnect, async (b) => {
    const cmd: ControlCommand = { kind: 'disconnect', user: b.user, code: b.disconnect?.code ?? DisconnectCode.ForceNoReconnect };
    if (b.disconnect?.reason !== undefined) cmd.reason = b.disconnect.reason;
    if (b.client !== undefined) cmd.client = b.client;
    await o.control(cmd);
    return {};
  });
}

/** Routes answering that the server API is off, so a caller learns why instead of seeing a 404. */
export function registerDisabledServerApi(router: Router): void {
  router.post('/api/:method', () => {
    throw apiDisabledError();
  });
}

function presenceOn(namespaces: NamespaceRegistry, ch: string): void {
  const ns = namespaces.resolve(ch).options;
  if (!ns.presence) throw new ProtocolError(ErrorCode.NotAvailable, `${ns.name} channels keep no presence`);
}

function parse<S extends z.ZodType>(method: string, schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(400, ErrorCode.BadRequest, `${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function ok(result: unknown): HttpResult {
  return { body: { result } };
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
