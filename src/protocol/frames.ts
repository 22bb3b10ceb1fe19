/** The messages of Centrifugo client protocol v2, with its JSON field names. */

export interface StreamPosition { offset: number; epoch: string }

export interface ClientInfo {
  client: string;
  user: string;
  conn_info?: unknown;
  chan_info?: unknown;
}

export interface Publication {
  data: unknown;
  offset?: number;
  info?: ClientInfo;
  tags?: Record<string, string>;
  /** Set on a delta subscriber's publication whose data is a fossil delta against the previous one. */
  delta?: boolean;
}

export interface ConnectRequest {
  token?: string;
  data?: unknown;
  subs?: Record<string, { recover?: boolean; epoch?: string; offset?: number }>;
  name?: string;
  version?: string;
}
export interface SubscribeRequest {
  channel: string;
  token?: string;
  recover?: boolean;
  epoch?: string;
  offset?: number;
  data?: unknown;
  positioned?: boolean;
  recoverable?: boolean;
  join_leave?: boolean;
  flag?: number;
  /** Delta compression asked for: '' (none) or 'fossil'. */
  delta?: '' | 'fossil';
}
export interface ChannelRequest { channel: string }
export interface PublishRequest { channel: string; data: unknown }
export interface HistoryRequest { channel: string; limit?: number; since?: StreamPosition; reverse?: boolean }
export interface RpcRequest { method?: string; data?: unknown }
export interface RefreshRequest { token: string }
export interface SubRefreshRequest { channel: string; token: string }
export interface SendRequest { data: unknown }

/** One command; exactly one method field is set, or none for a pong (`{}`). */
export type Command =
  | { id: number; connect: ConnectRequest }
  | { id: number; subscribe: SubscribeRequest }
  | { id: number; unsubscribe: ChannelRequest }
  | { id: number; publish: PublishRequest }
  | { id: number; presence: ChannelRequest }
  | { id: number; presence_stats: ChannelRequest }
  | { id: number; history: HistoryRequest }
  | { id: number; rpc: RpcRequest }
  | { id: number; refresh: RefreshRequest }
  | { id: number; sub_refresh: SubRefreshRequest }
  | { id: 0; send: SendRequest }
  | { id: 0; pong: true };

export type CommandMethod = 'connect' | 'subscribe' | 'unsubscribe' | 'publish' | 'presence' | 'presence_stats' | 'history' | 'rpc' | 'refresh' | 'sub_refresh' | 'send' | 'pong';

export interface ReplyError { code: number; message: string; temporary?: true }

export interface SubscribeResult {
  expires?: boolean;
  ttl?: number;
  recoverable?: boolean;
  epoch?: string;
  offset?: number;
  publications?: Publication[];
  recovered?: boolean;
  positioned?: boolean;
  was_recovering?: boolean;
  data?: unknown;
  /** The subscription gets fossil deltas (the namespace allows them and the client asked). */
  delta?: boolean;
}

export interface ConnectResult {
  client: string;
  version: string;
  expires?: boolean;
  ttl?: number;
  data?: unknown;
  subs?: Record<string, SubscribeResult>;
  ping?: number;
  pong?: boolean;
  node?: string;
  /** Set for emulation and uni transports: what `/emulation` requests name. */
  session?: string;
}

/** A reply to a command with an id: `{id, <method>: result}` or `{id, error}`. */
export type Reply = { id: number; error: ReplyError } | ({ id: number } & Record<string, unknown>);

export type Push =
  | { channel: string; pub: Publication }
  | { channel: string; join: { info: ClientInfo } }
  | { channel: string; leave: { info: ClientInfo } }
  | { channel: string; unsubscribe: { code: number; reason: string } }
  | { channel: string; subscribe: SubscribeResult }
  | { message: { data: unknown } }
  | { disconnect: { code: number; reason: string; reconnect: boolean } };

/** Anything the server writes: a reply, `{push}`, or the empty ping `{}`. */
export type ServerMessage = Reply | { push: Push } | Record<string, never>;
