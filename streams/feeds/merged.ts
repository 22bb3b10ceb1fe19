import { merge } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Feed, TickBatch } from '../ports.js';

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

  batches(): Observable<TickBatch> {
    return merge(...this.feeds.map((f) => f.batches()));
  }
}
