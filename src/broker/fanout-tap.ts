import type { ClientInfo, Publication } from '../protocol/index.js';
import type { FanoutSink } from './fanout.js';

/**
 * A FanoutSink in front of another: everything goes on to `sink`, and every publication is also
 * shown to `tap` (the market mirror, which follows some of the channels this node receives). The
 * tap runs after the sink, and an exception of it is reported, so local delivery never depends on it.
 */
export class FanoutTap implements FanoutSink {
  constructor(
    private readonly sink: FanoutSink,
    private readonly tap: (channel: string, pub: Publication) => void,
    private readonly onError: (where: string, err: unknown) => void = () => {},
  ) {}

  publication(channel: string, pub: Publication): void {
    this.sink.publication(channel, pub);
    try {
      this.tap(channel, pub);
    } catch (err) {
      this.onError('fanout-tap', err);
    }
  }

  join(channel: string, info: ClientInfo): void {
    this.sink.join(channel, info);
  }

  leave(channel: string, info: ClientInfo): void {
    this.sink.leave(channel, info);
  }
}
