import { NEVER } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Feed, TickBatch } from '../ports.js';

/**
 * A feed that never emits and never completes: an engine with ingest-only data (or a test) keeps
 * its pipelines alive and idle rather than seeing them complete.
 */
export class NoneFeed implements Feed {
  readonly name = 'none';
  batches(): Observable<TickBatch> {
    return NEVER;
  }
}
