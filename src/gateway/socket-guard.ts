import type { HttpResponse } from 'uWebSockets.js';

/**
 * Keeps client sockets of every kind under a cap, so the process never runs out of file
 * descriptors. At the open-file limit uWebSockets.js retries accept() on a listen socket that
 * stays readable, spinning a core while nothing else is served; and a TCP connection that never
 * sends a request reaches no handler of ours (uWS closes it only after 10 idle seconds). uWS's
 * socket filter sees every accepted socket, so one beyond the cap is closed right there.
 *
 * Counting: the filter counts +1 when uWS accepts a socket and -1 when an HTTP socket closes; a
 * socket upgraded to a WebSocket leaves the HTTP side without a -1 (the gateway reports it with
 * upgraded()), and from then on it is one of the gateway's sessions.
 */
export class SocketGuard {
  private httpSockets = 0;
  private closedAtCap = 0;

  constructor(
    private readonly maxSockets: number,
    private readonly webSockets: () => number,
  ) {}

  /** Sockets open now: HTTP ones (including those that never sent a request) and WebSockets. */
  get open(): number {
    return this.httpSockets + this.webSockets();
  }

  /** Sockets closed as soon as they were accepted because the cap was reached. */
  get refused(): number {
    return this.closedAtCap;
  }

  /** One of the counted HTTP sockets became a WebSocket. */
  upgraded(): void {
    this.httpSockets--;
  }

  /** What uWS's socket filter (`app.filter`) reports: +1 for an accepted socket, -1 for a closed HTTP one. */
  counted(res: HttpResponse, count: number): void {
    this.httpSockets += count;
    if (count > 0 && this.open > this.maxSockets) {
      this.closedAtCap++;
      // Closing from the filter runs the filter again at once with -1, which evens the count.
      res.close();
    }
  }
}
