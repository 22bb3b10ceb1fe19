/**
 * Child-process entry: raw uWebSockets.js answering the route with cached bytes. Not a target
 * baseline: the ceiling of any server on this transport, so the table shows how much of it
 * SuperNova's router, metrics and handlers leave.
 */
import * as uWS from 'uWebSockets.js';
import { runHttpServerChild } from '../http/http-server-child.js';

await runHttpServerChild(async ({ path, body, contentType }) => {
  const bytes = Buffer.from(body);
  const app = uWS.App();
  app.get(path, (res) => {
    res.cork(() => {
      res.writeHeader('content-type', contentType).end(bytes);
    });
  });
  app.any('/*', (res) => {
    res.cork(() => {
      res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end('{"error":{"code":"NOT_FOUND","message":"no such route"}}');
    });
  });
  const socket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('raw uWS: listen failed'))));
  });
  return {
    port: uWS.us_socket_local_port(socket),
    stop: async () => {
      uWS.us_listen_socket_close(socket);
      app.close();
    },
  };
});
