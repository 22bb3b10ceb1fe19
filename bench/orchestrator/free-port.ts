import { createServer } from 'node:net';

/**
 * A loopback port free right now, for several server processes to share (each listens on it with
 * SO_REUSEPORT). Another program could take it in between; the servers' start then fails loudly.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}
