/** Who called an RPC method. */
export interface RpcCaller {
  client: string;
  user: string;
  /** The connection token's `meta` claim: server-side data about the connection, never sent to clients. */
  meta?: Record<string, unknown>;
}

/** An RPC method: a ProtocolError it throws goes to the client as is; anything else is a crash (100). */
export type RpcMethod = (data: unknown, caller: RpcCaller) => unknown;

export type RpcRegistry = ReadonlyMap<string, RpcMethod>;
