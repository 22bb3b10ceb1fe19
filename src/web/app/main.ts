import { Centrifuge } from 'centrifuge';
import './styles.css';
import { ChartFeed } from './chart-feed.js';
import { ChartView } from './chart-view.js';
import { ConnectionIndicator } from './connection-indicator.js';
import { frameBatched } from './frame.js';
import { price, signed } from './format.js';
import { MetricsPanel } from './metrics-panel.js';
import { SentimentPanel } from './sentiment-panel.js';
import { Watchlist, type Quote } from './watchlist.js';
import type { Candle } from './candles.js';
import { pageTransport } from './transport.js';
import { deltaPayloads, pageDelta } from './delta.js';

interface BarInterval {
  name: string;
  ms: number;
}

/** What the engine serves at /dashboard.json. */
interface DashboardConfig {
  symbols: string[];
  websocket: string;
  /** The bar intervals the engine publishes, in configuration order (absent from older engines). */
  intervals?: BarInterval[];
}

/** A read-only view for debugging in the console and for the browser test. */
export interface DashboardProbe {
  symbol(): string;
  interval(): string;
  candles(): readonly Candle[];
  sparkline(symbol: string): readonly number[];
  /** The transport the SDK connected over (`websocket`, `http_stream`, `sse`), or '' before. */
  transport(): string;
  /** Publications of the `market:` and shown `bars:` subscriptions that came as fossil deltas (`?delta=1`). */
  deltas(): number;
}

declare global {
  interface Window { supernovaDashboard?: DashboardProbe }
}

const $ = <T extends HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`dashboard markup lacks ${selector}`);
  return el;
};

/**
 * `?reconnectDelayMs=3000` holds every reconnect attempt that long (the SDK's default backs off
 * from 500 ms): handy to watch the reconnecting and recovered states, and used by the browser test.
 */
function reconnectOptions(): { minReconnectDelay: number; maxReconnectDelay: number } | undefined {
  const ms = Number(new URLSearchParams(location.search).get('reconnectDelayMs') ?? NaN);
  if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) return undefined;
  return { minReconnectDelay: ms, maxReconnectDelay: ms };
}

async function main(): Promise<void> {
  const config = (await (await fetch('/dashboard.json')).json()) as DashboardConfig;
  const intervals = config.intervals ?? [];
  const shortest = [...intervals].sort((a, b) => a.ms - b.ms)[0];
  if (!shortest) throw new Error('the engine publishes no bar intervals (SUPERNOVA_BAR_INTERVALS)');
  const transport = pageTransport(location.search, config.websocket);
  const subscribeOptions = pageDelta(location.search);
  const client = new Centrifuge(transport.endpoint, { ...reconnectOptions(), ...(transport.emulationEndpoint ? { emulationEndpoint: transport.emulationEndpoint } : {}) });
  let connectedOver = '';
  client.on('connected', (ctx) => { connectedOver = ctx.transport; });
  const indicator = new ConnectionIndicator($('#connection'), client);
  const chartView = new ChartView($('#chart'));
  const chartTitle = $('#chart-title');
  const chartQuote = $('#chart-quote');
  const chartEl = $('#chart');
  const sentiment = new SentimentPanel($('#sentiment'), client);
  new MetricsPanel($('#engine'), client);

  let feed: ChartFeed | undefined;
  let symbol = config.symbols[0] ?? '';
  let interval = intervals.find((i) => i.name === '1s') ?? shortest;

  const renderQuote = (quote: Quote | undefined) => {
    chartQuote.textContent = quote
      ? `Last ${price(quote.last)} · ${signed(quote.changePct)}% · VWAP ${quote.vwap === undefined ? '—' : price(quote.vwap)}`
      : '';
  };

  const renderChart = frameBatched(() => {
    if (!feed) return;
    const store = feed.store;
    chartView.apply(store.takeChange(), () => store.candles());
    const candles = store.candles();
    const last = candles[candles.length - 1];
    chartEl.dataset['candles'] = String(candles.length);
    chartEl.setAttribute('aria-label', last
      ? `${feed.symbol} ${feed.interval} candles, ${candles.length} shown, last close ${price(last.close)}`
      : `${feed.symbol} ${feed.interval} candles, loading`);
  });

  const show = () => {
    feed?.dispose();
    chartTitle.textContent = `${symbol} · ${interval.name}`;
    watchlist.select(symbol);
    renderQuote(watchlist.quote(symbol));
    feed = new ChartFeed({ client, symbol, interval, subscribeOptions, onChange: renderChart, onRecovery: (o) => indicator.recovery(o) });
    renderChart();
  };

  const watchlist = new Watchlist($('#watchlist tbody'), client, {
    symbols: config.symbols,
    sparkInterval: shortest,
    subscribeOptions,
    onSelect: (s) => {
      if (s === symbol) return;
      symbol = s;
      show();
      sentiment.show(symbol);
    },
    onQuote: (s, quote) => {
      if (s === symbol) renderQuote(quote);
    },
  });
  const buttons = intervals.map((option) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = option.name;
    button.dataset['interval'] = option.name;
    button.addEventListener('click', () => {
      if (option === interval) return;
      interval = option;
      for (const b of buttons) b.setAttribute('aria-pressed', String(b === button));
      show();
    });
    button.setAttribute('aria-pressed', String(option === interval));
    return button;
  });
  $('#intervals').replaceChildren(...buttons);

  show();
  sentiment.show(symbol);
  window.supernovaDashboard = {
    symbol: () => symbol,
    interval: () => interval.name,
    candles: () => feed?.store.candles() ?? [],
    sparkline: (s) => watchlist.sparkline(s),
    transport: () => connectedOver,
    deltas: () => deltaPayloads([...watchlist.subscriptions(), ...(feed ? [feed.bars] : [])]),
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
