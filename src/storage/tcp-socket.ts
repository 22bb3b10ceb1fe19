import net from 'node:net';

/** What postgres.js hands its `socket` option: the parsed target (hosts and ports in step, or a unix socket path). */
export interface SocketTarget {
  host: readonly string[];
  port: readonly number[];
  path?: string | false | undefined;
}

/**
 * postgres.js's documented `socket` option (a function returning the socket it should use), here
 * to turn Nagle's algorithm off: postgres.js never calls setNoDelay, and a COPY ends with a small
 * CopyDone written after the data, which Nagle holds until the server's delayed ACK (about 40 ms on
 * Linux) — measured at 40-50 ms per COPY, a 3x slower tick sink at 5,000 rows a batch. node-postgres
 * sets TCP_NODELAY for the same reason.
 *
 * The socket is returned still connecting: writes queue until it connects, and postgres.js's own
 * connect timeout, errors and reconnects apply as they do to its default socket. Several hosts are
 * tried in turn, one per new connection (postgres.js rotates hosts the same way). A unix socket
 * has no Nagle and is connected as postgres.js would.
 */
export function noDelaySocketFactory(): (target: SocketTarget) => net.Socket {
  let next = 0;
  return (target) => {
    if (target.path) return net.connect(target.path);
    const i = next++ % Math.max(1, target.host.length);
    const socket = net.connect({ host: target.host[i] ?? 'localhost', port: target.port[i] ?? target.port[0] ?? 5432, noDelay: true });
    // postgres.js reads these for TLS (servername) and in its connection errors.
    Object.assign(socket, { host: target.host[i], port: target.port[i] });
    return socket;
  };
}
