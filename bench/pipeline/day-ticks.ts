import { lastValueFrom, toArray } from 'rxjs';
import { ReplayFeed, type Tick } from '../../streams/index.js';

/**
 * The whole day as Tick objects, read once through the engine's own replay feed (speed 0), so
 * the timestamps, prices and trade conditions are exactly what a replay hands the pipeline.
 * Reading and gunzip happen here, before any timing: the measured runs only process ticks.
 */
export async function loadDayTicks(file: string): Promise<Tick[]> {
  const batches = await lastValueFrom(new ReplayFeed({ file, speed: 0 }).batches().pipe(toArray()));
  return batches.flat();
}
