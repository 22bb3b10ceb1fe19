import { Centrifuge, type Options } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { EventSource } from 'eventsource';

export type EmulatedTransport = 'http_stream' | 'sse';

/**
 * The official SDK over one HTTP transport, as a browser behind a WebSocket-breaking proxy uses
 * it: the stream endpoint for replies and pushes, `/emulation` for later commands. Node 20 has
 * fetch and ReadableStream; EventSource comes from the `eventsource` package.
 */
export function emulatedClient(http: string, transport: EmulatedTransport, options: Partial<Options> = {}, protobuf = false): Centrifuge {
  const Sdk = (protobuf ? ProtobufCentrifuge : Centrifuge) as typeof Centrifuge;
  return new Sdk([{ transport, endpoint: `${http}/connection/${transport}` }], {
    emulationEndpoint: `${http}/emulation`,
    eventsource: EventSource,
    minReconnectDelay: 50,
    maxReconnectDelay: 200,
    timeout: 5000,
    ...options,
  });
}
