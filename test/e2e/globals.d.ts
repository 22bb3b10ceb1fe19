// The page's debugging probe (src/web/app/main.ts), as seen from the browser test's evaluate calls.
interface Window {
  supernovaDashboard?: {
    interval(): string;
    candles(): readonly { start: number; open: number; high: number; low: number; close: number; volume: number; trades: number; final: boolean }[];
    sparkline(symbol: string): readonly number[];
    transport(): string;
    deltas(): number;
  };
}
