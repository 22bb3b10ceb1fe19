/** Number formatting shared by the panels: prices with cents, signed changes, compact volumes. */

export function price(n: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: n < 1 ? 4 : 2 });
}

/** A signed change: the sign is spelled out so the direction never depends on colour alone. */
export function signed(n: number, digits = 2): string {
  const s = Math.abs(n).toFixed(digits);
  if (n > 0) return `+${s}`;
  if (n < 0) return `\u2212${s}`;
  return s;
}

export function direction(n: number): 'up' | 'down' | 'flat' {
  return n > 0 ? 'up' : n < 0 ? 'down' : 'flat';
}
