import { InvalidDataError, jsonValueOf, measureWireValue, type WireValueProblem } from '../protocol/index.js';
import type { NamespaceRegistry } from './channel-name.js';

export interface PublicationCheckOptions {
  namespaces: NamespaceRegistry;
  /** Most levels of nesting (SUPERNOVA_MAX_DATA_DEPTH). */
  maxDepth: number;
  /** Called once per refused publication, for metrics. */
  onRefused?: (problem: WireValueProblem) => void;
}

/**
 * The gate of data that comes from outside (client publish, the server API): checked once, at
 * publish time, against what every wire encoding can carry and the namespace's size limit, so
 * that nothing history stores or the fan-out encodes can fail later. The pipelines' own
 * publications are typed in process and skip it.
 */
export class PublicationCheck {
  constructor(private readonly o: PublicationCheckOptions) {}

  /** The data's approximate size in bytes (for PublishOptions.bytes); throws InvalidDataError. */
  check(channel: string, data: unknown): number {
    const ns = this.o.namespaces.resolve(channel).options;
    try {
      return measureWireValue(jsonValueOf(data), { maxDepth: this.o.maxDepth, maxBytes: ns.maxPublicationBytes });
    } catch (err) {
      if (!(err instanceof InvalidDataError)) throw err;
      this.o.onRefused?.(err.problem);
      if (err.problem === 'TOO_LARGE') {
        throw new InvalidDataError('TOO_LARGE', `publication is over ${ns.maxPublicationBytes} bytes, the most ${ns.name} channels take (namespace option maxPublicationBytes)`);
      }
      throw err;
    }
  }
}
