import { Centrifuge } from 'centrifuge';
import './styles.css';
import { ChartFeed } from './chart-feed.js';
import { ChartView } from './chart-view.js';
import { ConnectionIndicator } from './connection-indicator.js';
import { frameBatched } from './frame.js';
import { price } from './format.js';
import { MetricsPanel } from './metrics-panel.js';
import { SentimentPanel } from './sentiment-panel.js';
import { Watchlist } from './watchlist.js';
import type { Candle } from './candles.js';

/** What the engine serves at /dashboard.json. */
interface DashboardConfig {
  symbols: string[];
  websocket: string;
}

/** A read-only view for debugging in the console and for the browser test. */
export interface DashboardProbe {
  symbol(): string;
  interval(): string;
  source(): string;
  candles(): readonly Candle[];
}

declare global {
  interface Window { supernovaDashboard?: DashboardProbe }
}

const $ = <T extends HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`dashboard markup lacks ${selector}`);
  return el;
};

async function main(): Promise<void> {
  const config = (await (await fetch('/dashboard.json')).json()) as DashboardConfig;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = new Centrifuge(`${scheme}//${location.host}${config.websocket}`);
  const indicator = new ConnectionIndicator($('#connection'), client);
  const chartView = new ChartView($('#chart'));
  const chartTitle = $('#chart-title');
  const chartEl = $('#chart');
  const sentiment = new SentimentPanel($('#sentiment'), client);
  new MetricsPanel($('#engine'), client);

  let feed: ChartFeed | undefined;
  let symbol = config.symbols[0] ?? '';
  let interval = '1s';

  const renderChart = frameBatched(() => {
    if (!feed) return;
    const store = feed.store;
    chartView.apply(store.takeChange(), () => store.candles());
    const candles = store.candles();
    const last = candles[candles.length - 1];
    chartEl.dataset['candles'] = String(candles.length);
    chartEl.dataset['source'] = store.source;
    chartEl.setAttribute('aria-label', last
      ? `${feed.symbol} ${feed.interval} candles, ${candles.length} shown, last close ${price(last.close)}`
      : `${feed.symbol} ${feed.interval} candles, loading`);
  });

  const show = () => {
    feed?.dispose();
    chartTitle.textContent = `${symbol} · ${interval}`;
    watchlist.select(symbol);
    feed = new ChartFeed({ client, symbol, interval, onChange: renderChart, onRecovery: (o) => indicator.recovery(o) });
    renderChart();
  };

  const watchlist = new Watchlist($('#watchlist tbody'), client, config.symbols, (s) => {
    if (s === symbol) return;
    symbol = s;
    show();
    sentiment.show(symbol);
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('#intervals button')) {
    button.addEventListener('click', () => {
      const next = button.dataset['interval'] ?? '1s';
      if (next === interval) return;
      interval = next;
      for (const b of document.querySelectorAll('#intervals button')) b.setAttribute('aria-pressed', String(b === button));
      show();
    });
  }

  show();
  sentiment.show(symbol);
  window.supernovaDashboard = {
    symbol: () => symbol,
    interval: () => interval,
    source: () => feed?.store.source ?? 'none',
    candles: () => feed?.store.candles() ?? [],
  };
  client.connect();
}

main().catch((err: unknown) => {
  const banner = document.querySelector('#fatal');
  if (banner) {
    banner.textContent = `The dashboard could not start: ${(err as Error).message}`;
    banner.removeAttribute('hidden');
  }
  throw err;
});
