import type { Logger } from 'pino';
import type { Broker, Fanout, NamespaceRegistry, PublicationCheck } from '../../src/broker/index.js';
import type { TokenVerifier } from '../../src/auth/index.js';
import type { EngineMetrics } from '../../src/metrics/index.js';
import type { RpcRegistry } from './rpc-registry.js';
import type { ConnectionRegistry } from './registry.js';

/** Everything a connection actor works with, passed in by the composition root. */
export interface ConnectionDeps {
  broker: Broker;
  fanout: Pick<Fanout, 'watch' | 'unwatch' | 'lastOffset' | 'flushChannel'>;
  namespaces: NamespaceRegistry;
  /** Checks client publication data before it is published. */
  publications: Pick<PublicationCheck, 'check'>;
  tokens: TokenVerifier;
  rpc: RpcRegistry;
  registry: ConnectionRegistry;
  metrics: EngineMetrics;
  log: Logger;
  node: { name: string; version: string };
  limits: {
    allowAnonymous: boolean;
    /** Prefix of the personal channel every connection with a user is subscribed to (`''` for `#ID`, `NS:` for `NS:#ID`); undefined: none. */
    personalChannelPrefix: string | undefined;
    maxChannels: number;
    pingIntervalMs: number;
    expiredCloseDelayMs: number;
  };
}
