import type { Codec, Command, DisconnectCode, ServerMessage } from '../protocol/index.js';
import type { Logger } from 'pino';

/** What a connection actor may do to its socket; no uWebSockets.js type crosses this line. */
export interface SocketPort {
  readonly codec: Codec;
  readonly closed: boolean;
  readonly remoteAddress: string;
  /** The emulation session id (HTTP-streaming, SSE and the uni transports); the connect reply carries it. */
  readonly session?: string;
  /** Encodes the messages into one frame and sends it. */
  send(messages: readonly ServerMessage[]): void;
  /**
   * Starts and stops native delivery of a channel's publications to this socket; `delta` for a
   * subscription that gets fossil deltas (its first publication whole, see DeltaFanout).
   */
  subscribe(channel: string, delta?: boolean): void;
  /** True when subscribe(channel, true) gives fossil deltas; a port without it never negotiates delta. */
  readonly deltaTopics?: boolean;
  unsubscribe(channel: string, delta?: boolean): void;
  /** The client completed connect: server pings start and the connect deadline is lifted. */
  connected(): void;
  close(code: DisconnectCode, reason?: string): void;
}

/** A frame's commands, as the gateway hands them on; `limited` marks those over the rate limit. */
export interface InboundFrame {
  commands: Command[];
  limited: number;
  receivedAt: number;
}

/** The control plane's side of one connection. */
export interface ConnectionHandler {
  /** False when the connection cannot take more work (its mailbox is full). */
  frame(frame: InboundFrame): boolean;
  closed(code: number): void;
}

/** Creates the control-plane side of each new socket (the engine spawns an actor here). */
export interface ConnectionAcceptor {
  open(port: SocketPort): ConnectionHandler;
}

/**
 * What every client session is held to and reports through, whatever its transport (WebSocket,
 * HTTP-streaming, SSE): the same limits, pings and hooks drive the same connection actors.
 */
export interface SessionOptions {
  maxFrameBytes: number;
  maxBackpressureBytes: number;
  commandsPerSecond: number;
  commandBurst: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  /** True while memory is short: new sessions are refused until it is false again. */
  memoryPressure: () => boolean;
  /** Which browser pages may open sessions, from the request's `Origin` and `Host` (SUPERNOVA_ALLOWED_ORIGINS). */
  origins: { allows(origin: string, host: string): boolean };
  acceptor: ConnectionAcceptor;
  log: Logger;
  onDisconnect: (code: number) => void;
  /**
   * A session the client ended (or lost): the WebSocket close code it sent, 1006 when the
   * connection went without a close frame (a dropped network, a killed tab), 1005 when the frame
   * had no code; `stream` for an HTTP-streaming or SSE session whose stream the client closed.
   */
  onClientClose: (code: number | 'stream') => void;
  /** Where an exception caught in a uWS callback or a reply encode is reported. */
  onError: (where: string, err: unknown) => void;
}
