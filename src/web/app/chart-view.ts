import { CandlestickSeries, ColorType, createChart, HistogramSeries, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import type { Candle, CandleChange } from './candles.js';

const UP = '#26a69a';
const DOWN = '#ef5350';

/** The candlestick chart with its volume pane (lightweight-charts v5 panes). */
export class ChartView {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  /** Start of the newest candle drawn: an update older than it is a historical update. */
  private newest = Number.NEGATIVE_INFINITY;

  constructor(container: HTMLElement) {
    this.chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: 'transparent' },
        textColor: '#9aa4b2',
        fontFamily: 'system-ui, sans-serif',
        panes: { separatorColor: '#263040', enableResize: false },
      },
      grid: { vertLines: { color: '#1b2330' }, horzLines: { color: '#1b2330' } },
      rightPriceScale: { borderColor: '#263040' },
      timeScale: { borderColor: '#263040', timeVisible: true, secondsVisible: true },
      crosshair: { mode: 0 },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false,
    });
    this.volume = this.chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceLineVisible: false, lastValueVisible: false }, 1);
    this.chart.panes()[1]?.setHeight(90);
  }

  /** Applies what the candle store reports changed: a few point updates, or all data again. */
  apply(change: CandleChange, all: () => readonly Candle[]): void {
    if (change.kind === 'none') return;
    if (change.kind === 'reset') {
      const candles = all();
      this.candles.setData(candles.map(toCandle));
      this.volume.setData(candles.map(toVolume));
      this.newest = candles[candles.length - 1]?.start ?? Number.NEGATIVE_INFINITY;
      return;
    }
    for (const c of change.candles) {
      const historical = c.start < this.newest;
      this.candles.update(toCandle(c), historical);
      this.volume.update(toVolume(c), historical);
      if (!historical) this.newest = c.start;
    }
  }

  dispose(): void {
    this.chart.remove();
  }
}

function toCandle(c: Candle) {
  return { time: (c.start / 1000) as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close };
}

function toVolume(c: Candle) {
  return { time: (c.start / 1000) as UTCTimestamp, value: c.volume, color: c.close >= c.open ? `${UP}80` : `${DOWN}80` };
}
