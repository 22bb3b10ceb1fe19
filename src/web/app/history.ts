/** Closed bars asked for on load: enough to fill a chart, a few kilobytes compressed. */
export const CHART_HISTORY_LIMIT = 300;

/**
 * `GET /api/v1/market/:symbol/bars`: the newest `limit` closed bars, oldest first, as sent (the
 * readers check each field). An empty list when the request fails, so the chart then starts
 * from live bars alone.
 */
export async function fetchBars(symbol: string, interval: string, limit: number, fields?: readonly string[]): Promise<unknown[]> {
  const query = new URLSearchParams({ interval, limit: String(limit) });
  if (fields) query.set('fields', fields.join(','));
  try {
    const res = await fetch(`/api/v1/market/${encodeURIComponent(symbol)}/bars?${query.toString()}`, { headers: { accept: 'application/json' } });
    if (!res.ok) return [];
    const body = (await res.json()) as { items?: unknown };
    return Array.isArray(body.items) ? (body.items as unknown[]) : [];
  } catch {
    return [];
  }
}
