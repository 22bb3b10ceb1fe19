import { Packr } from 'msgpackr';
import type { Encoding } from './frames.js';
import { FuzzSocket, newCounters, type SocketCounters } from './fuzz-socket.js';
import { protobufHandshake } from './protobuf-wire.js';

const packr = new Packr({ useRecords: false });

/**
 * A subscriber of the channels fuzz clients publish into, one per encoding, so every publication
 * is encoded for JSON, msgpack and protobuf. It only reads, and comes back when it is closed.
 */
export class Listener {
  readonly counters: SocketCounters = newCounters();
  reconnects = 0;
  private socket: FuzzSocket | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly url: string, readonly encoding: Encoding, private readonly channels: readonly string[]) {}

  /** Resolves once the first connection is subscribed. */
  async start(): Promise<void> {
    await this.connect();
    this.loop = this.keep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.socket?.terminate();
    await this.loop;
  }

  private async connect(): Promise<boolean> {
    const socket = new FuzzSocket(this.url, this.encoding, this.counters);
    this.socket = socket;
    if (!(await socket.opened)) return false;
    const commands = [{ id: 1, connect: { name: `listener-${this.encoding}` } }, ...this.channels.map((channel, i) => ({ id: 2 + i, subscribe: { channel } }))];
    if (this.encoding === 'protobuf') socket.send(protobufHandshake(commands), true);
    else socket.send(this.encoding === 'msgpack' ? Buffer.concat(commands.map((c) => packr.pack(c))) : commands.map((c) => JSON.stringify(c)).join('\n'), this.encoding === 'msgpack');
    return (await socket.settle(commands.map((c) => c.id), 5000)) === 'answered';
  }

  private async keep(): Promise<void> {
    while (!this.stopped) {
      await this.socket?.closed;
      if (this.stopped) return;
      this.reconnects++;
      await new Promise((r) => setTimeout(r, 100));
      await this.connect();
    }
  }
}
