import type { Centrifuge, Subscription, SubscriptionOptions } from 'centrifuge';
import { direction, price, signed } from './format.js';
import { frameBatched } from './frame.js';
import { fetchBars } from './history.js';
import { SparklineSeries } from './sparkline.js';

/** The fields of `market:SYM` (MarketSnapshot in streams/ports.ts) the page shows. */
export interface Quote {
  last: number;
  change: number;
  changePct: number;
  /** Session volume-weighted average price; undefined from an engine that does not send it. */
  vwap: number | undefined;
  ts: number;
}

export interface WatchlistOptions {
  symbols: readonly string[];
  /** The bar interval whose closes seed the sparklines (one point per bar), the shortest one. */
  sparkInterval: { name: string; ms: number };
  onSelect: (symbol: string) => void;
  /** Every quote as it arrives, for the parts of the page that show the selected symbol's. */
  onQuote: (symbol: string, quote: Quote) => void;
  /** Options of every `market:` subscription (`?delta=1` asks for fossil deltas). */
  subscribeOptions?: Pick<SubscriptionOptions, 'delta'>;
}

interface Row {
  symbol: string;
  tr: HTMLTableRowElement;
  button: HTMLButtonElement;
  last: HTMLElement;
  change: HTMLElement;
  line: SVGPolylineElement;
  spark: SparklineSeries;
  quote: Quote | undefined;
  /** The last price painted, to colour the next one as an uptick or downtick. */
  shown: number | undefined;
  dirty: boolean;
}

/** Points in a sparkline: two minutes of 1s bars. */
const SPARK_POINTS = 120;
const SPARK_W = 80;
const SPARK_H = 28;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * One row per configured symbol, fed by `market:SYM` (the latest snapshot arrives on subscribe,
 * so rows fill at once). Sparklines start from the recent bar closes (REST), then follow live
 * prices. Clicking a symbol selects it for the chart.
 */
export class Watchlist {
  private readonly rows = new Map<string, Row>();
  private readonly subs: Subscription[] = [];
  private readonly render = frameBatched(() => this.paint());

  constructor(tbody: HTMLElement, client: Centrifuge, private readonly o: WatchlistOptions) {
    for (const symbol of o.symbols) {
      const row = this.row(symbol);
      tbody.append(row.tr);
      this.rows.set(symbol, row);
      const sub = client.newSubscription(`market:${symbol}`, o.subscribeOptions);
      sub.on('publication', (ctx) => this.update(row, ctx.data as unknown));
      sub.subscribe();
      this.subs.push(sub);
      void this.seedSparkline(row);
    }
  }

  /** The latest quote of a symbol, if one arrived. */
  quote(symbol: string): Quote | undefined {
    return this.rows.get(symbol)?.quote;
  }

  /** The `market:` subscriptions, one per symbol. */
  subscriptions(): readonly Subscription[] {
    return this.subs;
  }

  /** The sparkline's points of a symbol, oldest first. */
  sparkline(symbol: string): readonly number[] {
    return this.rows.get(symbol)?.spark.values() ?? [];
  }

  select(symbol: string): void {
    for (const row of this.rows.values()) {
      const on = row.symbol === symbol;
      row.button.setAttribute('aria-pressed', String(on));
      row.tr.classList.toggle('selected', on);
    }
  }

  private update(row: Row, data: unknown): void {
    const q = data as Partial<Quote> | null;
    if (typeof q?.last !== 'number' || !Number.isFinite(q.last)) return;
    const vwap = typeof q.vwap === 'number' && Number.isFinite(q.vwap) ? q.vwap : undefined;
    row.quote = { last: q.last, change: num(q.change), changePct: num(q.changePct), vwap, ts: num(q.ts) || Date.now() };
    row.spark.push(row.quote.ts, row.quote.last);
    row.dirty = true;
    this.render();
    this.o.onQuote(row.symbol, row.quote);
  }

  private async seedSparkline(row: Row): Promise<void> {
    const bars = await fetchBars(row.symbol, this.o.sparkInterval.name, SPARK_POINTS, ['start', 'close']);
    row.spark.seed(bars.flatMap((bar) => {
      const { start, close } = bar as { start?: unknown; close?: unknown };
      return typeof start === 'number' && typeof close === 'number' ? [{ ts: start, price: close }] : [];
    }));
    row.dirty = true;
    this.render();
  }

  private paint(): void {
    for (const row of this.rows.values()) {
      if (!row.dirty) continue;
      row.dirty = false;
      row.line.setAttribute('points', row.spark.polyline(SPARK_W, SPARK_H));
      if (!row.quote) continue;
      const { last, change, changePct } = row.quote;
      // Uptick or downtick against the price on screen, the usual colouring of a last price.
      if (row.shown !== undefined && last !== row.shown) row.last.dataset['tick'] = direction(last - row.shown);
      row.shown = last;
      row.last.textContent = price(last);
      row.change.textContent = `${signed(change)} (${signed(changePct)}%)`;
      row.tr.dataset['direction'] = direction(change);
    }
  }

  private row(symbol: string): Row {
    const tr = document.createElement('tr');
    tr.dataset['symbol'] = symbol;
    const th = document.createElement('th');
    th.scope = 'row';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = symbol;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => this.o.onSelect(symbol));
    th.append(button);
    const last = cell('last', '—');
    const change = cell('change', '—');
    const sparkCell = document.createElement('td');
    sparkCell.className = 'spark';
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
    svg.setAttribute('width', String(SPARK_W));
    svg.setAttribute('height', String(SPARK_H));
    svg.setAttribute('aria-hidden', 'true');
    const line = document.createElementNS(SVG_NS, 'polyline');
    svg.append(line);
    sparkCell.append(svg);
    tr.append(th, last, change, sparkCell);
    return { symbol, tr, button, last, change, line, spark: new SparklineSeries(SPARK_POINTS, this.o.sparkInterval.ms), quote: undefined, shown: undefined, dirty: false };
  }
}

function cell(className: string, text: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.className = className;
  td.textContent = text;
  return td;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
