import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type ClientInfo as PbClientInfo, ClientInfoSchema, ConnectResultSchema, DisconnectSchema, ErrorSchema, HistoryResultSchema, JoinSchema, LeaveSchema,
  MessageSchema, PresenceResultSchema, PresenceStatsResultSchema, type Publication as PbPublication, PublicationSchema, PublishResultSchema,
  type Push as PbPush, PushSchema, RefreshResultSchema, RefreshSchema, type Reply as PbReply, ReplySchema, RPCResultSchema, SubRefreshResultSchema,
  SubscribeSchema, type SubscribeResult as PbSubscribeResult, SubscribeResultSchema, UnsubscribeResultSchema, UnsubscribeSchema,
} from './gen/client_pb.js';
import type { ClientInfo, Publication, Push, ServerMessage, SubscribeResult } from './frames.js';
import { valueToBytes } from './protobuf-data.js';

type Obj = Record<string, unknown>;

/**
 * A server message of the JSON shape (frames.ts) as a protobuf Reply: the engine builds every
 * reply and push once, in one shape, and each codec spells it for its wire.
 */
export function replyFromMessage(message: ServerMessage): PbReply {
  const m = message as Obj;
  const reply = create(ReplySchema);
  if (typeof m.id === 'number') reply.id = m.id;
  if (m.push !== undefined) {
    reply.push = pushOf(m.push as Push);
    return reply;
  }
  const error = m.error as { code: number; message: string; temporary?: boolean } | undefined;
  if (error !== undefined) {
    reply.error = create(ErrorSchema, { code: error.code, message: error.message, temporary: error.temporary === true });
    return reply;
  }
  for (const method in m) {
    if (method === 'id') continue;
    const r = (m[method] ?? {}) as Obj;
    switch (method) {
      case 'connect': reply.connect = create(ConnectResultSchema, connectResult(r)); break;
      case 'subscribe': reply.subscribe = subscribeResult(r as SubscribeResult); break;
      case 'unsubscribe': reply.unsubscribe = create(UnsubscribeResultSchema); break;
      case 'publish': reply.publish = create(PublishResultSchema); break;
      case 'presence': reply.presence = create(PresenceResultSchema, { presence: presenceMap(r.presence as Record<string, ClientInfo> | undefined) }); break;
      case 'presence_stats':
        reply.presenceStats = create(PresenceStatsResultSchema, { numClients: num(r.num_clients), numUsers: num(r.num_users) });
        break;
      case 'history':
        reply.history = create(HistoryResultSchema, {
          publications: ((r.publications ?? []) as Publication[]).map(publication), epoch: str(r.epoch), offset: big(r.offset),
        });
        break;
      case 'rpc': reply.rpc = create(RPCResultSchema, { data: valueToBytes(r.data) }); break;
      case 'refresh':
        reply.refresh = create(RefreshResultSchema, { client: str(r.client), version: str(r.version), expires: r.expires === true, ttl: num(r.ttl) });
        break;
      case 'sub_refresh': reply.subRefresh = create(SubRefreshResultSchema, { expires: r.expires === true, ttl: num(r.ttl) }); break;
      default: break;
    }
  }
  return reply;
}

function connectResult(r: Obj): MessageInitShape<typeof ConnectResultSchema> {
  const subs: Record<string, PbSubscribeResult> = {};
  for (const [channel, s] of Object.entries((r.subs ?? {}) as Record<string, SubscribeResult>)) subs[channel] = subscribeResult(s);
  return {
    client: str(r.client), version: str(r.version), expires: r.expires === true, ttl: num(r.ttl), data: valueToBytes(r.data), subs,
    ping: num(r.ping), pong: r.pong === true, node: str(r.node), session: str(r.session),
  };
}

function subscribeResult(s: SubscribeResult): PbSubscribeResult {
  return create(SubscribeResultSchema, {
    expires: s.expires === true, ttl: num(s.ttl), recoverable: s.recoverable === true, epoch: str(s.epoch), offset: big(s.offset),
    publications: (s.publications ?? []).map(publication), recovered: s.recovered === true, positioned: s.positioned === true,
    wasRecovering: s.was_recovering === true, data: valueToBytes(s.data), delta: s.delta === true,
  });
}

function pushOf(p: Push): PbPush {
  const push = create(PushSchema);
  const o = p as Obj;
  if (typeof o.channel === 'string') push.channel = o.channel;
  if ('pub' in p) push.pub = publication(p.pub);
  else if ('join' in p) push.join = create(JoinSchema, { info: clientInfo(p.join.info) });
  else if ('leave' in p) push.leave = create(LeaveSchema, { info: clientInfo(p.leave.info) });
  else if ('unsubscribe' in p) push.unsubscribe = create(UnsubscribeSchema, { code: p.unsubscribe.code, reason: p.unsubscribe.reason });
  else if ('subscribe' in p) {
    const s = p.subscribe;
    push.subscribe = create(SubscribeSchema, {
      recoverable: s.recoverable === true, epoch: str(s.epoch), offset: big(s.offset), positioned: s.positioned === true, data: valueToBytes(s.data),
    });
  } else if ('message' in p) push.message = create(MessageSchema, { data: valueToBytes(p.message.data) });
  else if ('disconnect' in p) {
    push.disconnect = create(DisconnectSchema, { code: p.disconnect.code, reason: p.disconnect.reason, reconnect: p.disconnect.reconnect });
  } else if ('refresh' in o) {
    const r = o.refresh as Obj;
    push.refresh = create(RefreshSchema, { expires: r.expires === true, ttl: num(r.ttl) });
  }
  return push;
}

function publication(p: Publication): PbPublication {
  const pub = create(PublicationSchema);
  pub.data = valueToBytes(p.data);
  if (p.offset !== undefined) pub.offset = BigInt(p.offset);
  if (p.info !== undefined) pub.info = clientInfo(p.info);
  if (p.tags !== undefined) pub.tags = p.tags;
  if (p.delta === true) pub.delta = true;
  return pub;
}

function clientInfo(i: ClientInfo): PbClientInfo {
  return create(ClientInfoSchema, { user: i.user, client: i.client, connInfo: valueToBytes(i.conn_info), chanInfo: valueToBytes(i.chan_info) });
}

function presenceMap(p: Record<string, ClientInfo> | undefined): Record<string, PbClientInfo> {
  const out: Record<string, PbClientInfo> = {};
  for (const [client, info] of Object.entries(p ?? {})) out[client] = clientInfo(info);
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const big = (v: unknown): bigint => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : 0n);
