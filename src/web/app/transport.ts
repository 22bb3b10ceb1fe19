import type { TransportEndpoint } from 'centrifuge';

/** The transports the page may be told to use with `?transport=`. */
export type PageTransport = 'websocket' | 'http_stream' | 'sse';

/**
 * `?transport=sse` or `?transport=http_stream` forces that HTTP transport (as behind a proxy
 * that breaks WebSocket), with `/emulation` for the page's commands; otherwise WebSocket.
 */
export function pageTransport(search: string, websocketPath: string): { name: PageTransport; endpoint: string | TransportEndpoint[]; emulationEndpoint?: string } {
  const asked = new URLSearchParams(search).get('transport');
  const origin = location.origin;
  if (asked === 'http_stream' || asked === 'sse') {
    return { name: asked, endpoint: [{ transport: asked, endpoint: `${origin}/connection/${asked}` }], emulationEndpoint: `${origin}/emulation` };
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return { name: 'websocket', endpoint: `${scheme}//${location.host}${websocketPath}` };
}
