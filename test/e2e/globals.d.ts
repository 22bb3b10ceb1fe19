// The page's debugging probe (src/web/app/main.ts), as seen from the browser test's evaluate calls.
interface Window {
  supernovaDashboard?: { candles(): readonly { start: number; volume: number; trades: number }[] };
}
