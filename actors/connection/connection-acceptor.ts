import type { ConnectionAcceptor, ConnectionHandler, SocketPort } from '../../src/gateway/index.js';
import type { Supervisor } from '../runtime/index.js';
import type { ConnectionDeps } from './deps.js';
import { connectionActor, type ConnectionActorLimits } from './connection-actor.js';

/** Spawns one actor per socket under the (sharded) `connections` supervisor. */
export class ConnectionActors implements ConnectionAcceptor {
  constructor(private readonly supervisor: Supervisor, private readonly deps: ConnectionDeps, private readonly limits: ConnectionActorLimits) {}

  open(port: SocketPort): ConnectionHandler {
    const ref = this.supervisor.spawn(connectionActor(this.deps, port, this.limits));
    return {
      frame: (frame) => ref.tell({ type: 'frame', frame }),
      // A full mailbox must not keep a dead socket's resources: stopping releases them too.
      closed: (code) => {
        if (!ref.tell({ type: 'closed', code })) ref.stop();
      },
    };
  }
}
