import { merge } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Feed, Tick } from '../ports.js';

/**
 * Several sources as one feed, so the one market pipeline reads them all (the configured feed
 * plus HTTP ingest, say). Subscribing subscribes to each; unsubscribing stops each.
 */
export class MergedFeed implements Feed {
  readonly name: string;
  private readonly feeds: readonly Feed[];

  constructor(feeds: readonly Feed[]) {
    this.feeds = feeds;
    this.name = feeds.map((f) => f.name).join('+');
  }

  ticks(): Observable<Tick> {
    return merge(...this.feeds.map((f) => f.ticks()));
  }
}
