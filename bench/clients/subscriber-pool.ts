import { epochMs } from '../shared/clock.js';
import type { OpenSpec } from '../shared/worker-protocol.js';
import { ConnectionPool } from './connection-pool.js';
import { RawWsClient, type RawWsClientEvents } from './raw-ws-client.js';
import { scanTextFrame, type LineSink } from './push-scanner.js';
import { scanProtobufFrame, type ReplySink } from './protobuf-scanner.js';
import { protobufCommands, protobufReply } from './protobuf-commands.js';

const PONG = '{}';
/** The protobuf pong: one empty Command, length-delimited. */
const PROTOBUF_PONG = Buffer.from([0]);
const SUBSCRIBE_ID = 2;

/**
 * The raw-socket subscribers of one load process (SuperNova's protocol or the raw peer's):
 * after the handshakes they only count publications and time their stamps, with one read buffer
 * for every socket.
 */
export class SubscriberPool extends ConnectionPool {
  private readonly clients: RawWsClient[] = [];
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  /** Receipt time of the read being scanned: one clock read per read, not per message. */
  private now = 0;
  private current: RawWsClient | undefined;
  /** Whether the socket being scanned is one the timebase times. */
  private currentTimed = true;
  private readonly channelOfClient = new Map<RawWsClient, string>();

  private readonly sink: LineSink = {
    push: (ts, first) => {
      if (first) this.delivered(ts, this.now, this.currentTimed);
      else this.furtherStamp(ts, this.now, this.currentTimed);
    },
    ping: () => {
      this.pingsAnswered++;
      this.current?.sendText(PONG);
    },
    other: (line) => this.onReply(line),
  };

  private readonly protobufSink: ReplySink = {
    push: this.sink.push,
    ping: () => {
      this.pingsAnswered++;
      this.current?.sendBinary(PROTOBUF_PONG);
    },
    other: (buf, start, end) => this.onProtobufReply(buf, start, end),
  };

  private readonly onBinary = (client: RawWsClient, data: Buffer, start: number, end: number): void => {
    this.current = client;
    this.currentTimed = this.timesChannel(this.channelOfClient.get(client) ?? '');
    try {
      scanProtobufFrame(data, this.protobufSink, start, end);
    } catch (err) {
      this.replyErrors++;
      this.note(`unreadable protobuf frame: ${(err as Error).message}`);
    }
    this.current = undefined;
  };

  private readonly onRead = (): void => {
    this.now = epochMs();
  };

  private readonly onText = (client: RawWsClient, data: Buffer, start: number, end: number): void => {
    this.current = client;
    this.currentTimed = this.timesChannel(this.channelOfClient.get(client) ?? '');
    scanTextFrame(data, this.sink, start, end);
    this.current = undefined;
  };

  /** Closes every socket politely, then destroys what is left after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const c of this.clients) c.close();
    const deadline = Date.now() + graceMs;
    while (this.clients.some((c) => c.state !== 'closed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const c of this.clients) c.destroy();
  }

  protected openOne(spec: OpenSpec, channel: string, localAddress: string | undefined): void {
    const path = spec.mode === 'raw' ? `${spec.path}?channel=${encodeURIComponent(channel)}` : spec.path;
    const client = new RawWsClient(
      {
        host: spec.host, port: spec.port, path, handshakeTimeoutMs: spec.handshakeTimeoutMs, readBuffer: this.readBuffer,
        ...(localAddress ? { localAddress } : {}), ...(spec.mode === 'supernova-protobuf' ? { protocol: 'centrifuge-protobuf' } : {}),
      },
      this.eventsFor(spec, channel),
    );
    this.clients.push(client);
    this.channelOfClient.set(client, channel);
    client.connect();
  }

  private eventsFor(spec: OpenSpec, channel: string): RawWsClientEvents {
    let opened = false;
    return {
      open: (client) => {
        opened = true;
        // The raw peer subscribes in its open handler, before the 101 is flushed: open is subscribed.
        if (spec.mode === 'raw') this.subscribed++;
        else if (spec.mode === 'supernova-protobuf') client.sendBinary(protobufCommands(channel, SUBSCRIBE_ID));
        else client.sendText(`{"id":1,"connect":{}}\n{"id":${SUBSCRIBE_ID},"subscribe":{"channel":${JSON.stringify(channel)}}}`);
        this.opened();
      },
      read: this.onRead,
      text: this.onText,
      binary: this.onBinary,
      close: (_client, code, problem) => {
        if (opened) this.lost(String(code), problem);
        else this.openFailed(problem ?? `closed ${code} before the upgrade`);
      },
    };
  }

  private onProtobufReply(buf: Buffer, start: number, end: number): void {
    let reply: ReturnType<typeof protobufReply>;
    try {
      reply = protobufReply(buf.subarray(start, end));
    } catch (err) {
      this.replyErrors++;
      this.note(`unparseable protobuf reply: ${(err as Error).message}`);
      return;
    }
    if (reply.error) {
      this.replyErrors++;
      this.note(`error reply: ${JSON.stringify(reply.error)}`);
    } else if (reply.id === SUBSCRIBE_ID && reply.subscribed) {
      this.subscribed++;
    }
  }

  private onReply(line: Buffer): void {
    let reply: { id?: unknown; error?: { code?: unknown; message?: unknown }; subscribe?: unknown; disconnect?: unknown };
    try {
      reply = JSON.parse(line.toString('utf8')) as typeof reply;
    } catch {
      this.replyErrors++;
      this.note(`unparseable frame: ${line.toString('utf8', 0, 80)}`);
      return;
    }
    if (reply.error) {
      this.replyErrors++;
      this.note(`error reply: ${JSON.stringify(reply.error)}`);
    } else if (reply.id === SUBSCRIBE_ID && reply.subscribe !== undefined) {
      this.subscribed++;
    }
  }
}
