import { Counter, Gauge, type Registry } from 'prom-client';
import { SPILL_REFUSALS, type SpillStats } from '../../streams/index.js';

/** The spill of each table that has one (BatchWriterStats.spill), read at scrape time. */
export type SpillSource = () => Record<string, { spill?: SpillStats }>;

/** The on-disk spill of the persistence writers, by table: what went to disk, what came back, what it refused or found damaged. */
export function registerSpillMetrics(registry: Registry, writers: SpillSource): void {
  const registers = [registry];
  const spills = (): [string, SpillStats][] => Object.entries(writers()).flatMap(([table, w]) => (w.spill ? [[table, w.spill] as [string, SpillStats]] : []));
  const byTable = (figure: (s: SpillStats) => number) => (): [Record<string, string>, number][] => spills().map(([table, s]) => [{ table }, figure(s)]);
  totalFrom(registry, 'supernova_spill_rows_total', 'Rows written to the disk spill (synced) while PostgreSQL was down or older rows waited there, by table', ['table'], byTable((s) => s.spilledRows));
  totalFrom(registry, 'supernova_spill_drained_rows_total', 'Rows read back from the disk spill and written to PostgreSQL, by table', ['table'], byTable((s) => s.drainedRows));
  totalFrom(registry, 'supernova_spill_corrupt_records_total', 'Damaged spill records skipped on reading (bad frame, CRC, or not rows of the table): their rows never reach PostgreSQL, by table', ['table'], byTable((s) => s.corruptRecords));
  totalFrom(registry, 'supernova_spill_torn_tails_total', 'Spill segments found ending in a partial record (the engine died mid-append; those rows had not been accepted to disk), by table', ['table'], byTable((s) => s.tornTails));
  totalFrom(registry, 'supernova_spill_refusals_total', 'Appends the spill refused, by table and reason (budget: SUPERNOVA_SPILL_MAX_BYTES; disk: ENOSPC; io; encode): their rows stay in memory, refused past SUPERNOVA_PERSIST_MAX_BUFFERED', ['table', 'reason'],
    () => spills().flatMap(([table, s]) => SPILL_REFUSALS.map((reason): [Record<string, string>, number] => [{ table, reason }, s.refusals[reason]])));
  gaugeFrom(registry, 'supernova_spill_bytes', 'Bytes of spill segments on disk, by table', byTable((s) => s.bytes));
  gaugeFrom(registry, 'supernova_spill_segments', 'Spill segment files on disk, by table', byTable((s) => s.segments));
  gaugeFrom(registry, 'supernova_spill_full', '1 while the spill of a table refuses appends (its budget or disk is full, or writing fails), by table', byTable((s) => (s.full ? 1 : 0)));
  new Gauge({
    name: 'supernova_spill_max_bytes', help: 'The spill\'s byte budget for all tables (SUPERNOVA_SPILL_MAX_BYTES)', registers,
    collect() {
      const first = spills()[0];
      if (first) this.set(first[1].maxBytes);
    },
  });
}

/** A counter whose totals live elsewhere: each scrape adds what they grew by. */
function totalFrom(registry: Registry, name: string, help: string, labelNames: string[], read: () => [Record<string, string>, number][]): void {
  const seen = new Map<string, number>();
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      for (const [labels, total] of read()) {
        const key = JSON.stringify(labels);
        const delta = total - (seen.get(key) ?? 0);
        // On first sight a zero still makes the series, so dashboards see 0 rather than no data.
        if (delta > 0 || !seen.has(key)) this.inc(labels, Math.max(0, delta));
        seen.set(key, total);
      }
    },
  });
}

function gaugeFrom(registry: Registry, name: string, help: string, read: () => [Record<string, string>, number][]): void {
  new Gauge({
    name, help, labelNames: ['table'], registers: [registry],
    collect() {
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}
