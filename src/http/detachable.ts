import type { HttpResponse } from 'uWebSockets.js';

/**
 * What a uWebSockets.js handler may close over. uWS keeps every function registered on an App
 * (routes, WebSocket behaviour) for the life of the process, even after app.close(); a handler
 * that closes over `this` would keep its object, and through it the whole engine (history, bars,
 * actors), alive after stop(). Handlers close over one of these instead, and detach() at stop
 * leaves uWS holding an empty box.
 */
export class Detachable<T extends object> {
  private current: T | undefined;

  constructor(target: T) {
    this.current = target;
  }

  /** The target, or undefined once detached. */
  get target(): T | undefined {
    return this.current;
  }

  detach(): void {
    this.current = undefined;
  }
}

/** The answer of a handler whose target is detached: the app is closed, so this is a safety net. */
export function answerStopped(res: HttpResponse): void {
  res.cork(() => {
    res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ error: { code: 'SHUTTING_DOWN', message: 'the server has stopped' } }));
  });
}
