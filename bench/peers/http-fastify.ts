/** Child-process entry: the HTTP baseline on Fastify 5, answering the route with cached bytes. */
import Fastify from 'fastify';
import { runHttpServerChild } from '../http/http-server-child.js';

await runHttpServerChild(async ({ path, body, contentType }) => {
  const app = Fastify({ logger: false });
  app.get(path, (_req, reply) => {
    void reply.header('content-type', contentType).send(body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, stop: () => app.close() };
});
