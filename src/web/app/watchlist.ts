import type { Centrifuge } from 'centrifuge';
import { direction, price, signed } from './format.js';
import { frameBatched } from './frame.js';
import { SparklineSeries } from './sparkline.js';

/** The fields of `market:SYM` (MarketSnapshot in streams/ports.ts) the watchlist shows. */
interface Quote {
  last: number;
  change: number;
  changePct: number;
  ts: number;
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

const SPARK_W = 80;
const SPARK_H = 28;
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * One row per configured symbol, fed by `market:SYM` (the latest snapshot arrives on subscribe,
 * so rows fill at once). Clicking a symbol selects it for the chart.
 */
export class Watchlist {
  private readonly rows = new Map<string, Row>();
  private readonly render = frameBatched(() => this.paint());

  constructor(tbody: HTMLElement, client: Centrifuge, symbols: readonly string[], private readonly onSelect: (symbol: string) => void) {
    for (const symbol of symbols) {
      const row = this.row(symbol);
      tbody.append(row.tr);
      this.rows.set(symbol, row);
      const sub = client.newSubscription(`market:${symbol}`);
      sub.on('publication', (ctx) => this.update(row, ctx.data as unknown));
      sub.subscribe();
    }
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
    row.quote = { last: q.last, change: num(q.change), changePct: num(q.changePct), ts: num(q.ts) || Date.now() };
    row.spark.push(row.quote.ts, row.quote.last);
    row.dirty = true;
    this.render();
  }

  private paint(): void {
    for (const row of this.rows.values()) {
      if (!row.dirty || !row.quote) continue;
      row.dirty = false;
      const { last, change, changePct } = row.quote;
      // Uptick or downtick against the price on screen, the usual colouring of a last price.
      if (row.shown !== undefined && last !== row.shown) row.last.dataset['tick'] = direction(last - row.shown);
      row.shown = last;
      row.last.textContent = price(last);
      row.change.textContent = `${signed(change)} (${signed(changePct)}%)`;
      row.tr.dataset['direction'] = direction(change);
      row.line.setAttribute('points', row.spark.polyline(SPARK_W, SPARK_H));
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
    button.addEventListener('click', () => this.onSelect(symbol));
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
    return { symbol, tr, button, last, change, line, spark: new SparklineSeries(), quote: undefined, shown: undefined, dirty: false };
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
