/** A least-squares line through (x, y) points, with how well it fits. */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination: 1 when every point is on the line, near 0 for noise. */
  r2: number;
  n: number;
}

export function linearFit(points: readonly (readonly [number, number])[]): LinearFit {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.[1] ?? 0, r2: 0, n };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0, n };
  const slope = sxy / sxx;
  // A flat series has nothing to explain: it fits, but says no trend.
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2, n };
}

/** The points after the first `fraction` of the x span: start-up growth (JIT, pools) is not a trend. */
export function afterWarmup<T extends readonly [number, number]>(points: readonly T[], fraction: number): T[] {
  if (points.length === 0) return [];
  const first = points[0]?.[0] ?? 0;
  const last = points[points.length - 1]?.[0] ?? 0;
  const from = first + (last - first) * fraction;
  return points.filter(([x]) => x >= from);
}
