/**
 * A value to put on the wire, written by hand for both encodings so a fuzz frame can hold what
 * no serializer would produce: verbatim msgpack pieces (ext values with any type byte), JSON
 * fragments, and nesting thousands of levels deep (written without recursion).
 */
export type WireValue =
  | { t: 'lit'; v: null | boolean | number | string }
  | { t: 'arr'; items: WireValue[] }
  | { t: 'obj'; entries: [string, WireValue][] }
  | { t: 'deep'; depth: number; container: 'arr' | 'obj'; leaf: WireValue }
  /** Bytes written as they are in msgpack; the JSON text written as it is (null when absent). */
  | { t: 'raw'; msgpack?: Uint8Array; json?: string }
  /** msgpack bin; a base64 string in JSON. */
  | { t: 'bin'; bytes: Uint8Array };

export const lit = (v: null | boolean | number | string): WireValue => ({ t: 'lit', v });
export const obj = (entries: Record<string, WireValue>): WireValue => ({ t: 'obj', entries: Object.entries(entries) });

/** A plain JavaScript value (JSON-like) as a WireValue. */
export function fromJs(v: unknown): WireValue {
  if (v === null || v === undefined) return lit(null);
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return lit(v);
  if (Array.isArray(v)) return { t: 'arr', items: v.map(fromJs) };
  if (typeof v === 'object') return { t: 'obj', entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJs(x)]) };
  return lit(String(v));
}

export function toJson(v: WireValue): string {
  switch (v.t) {
    case 'lit':
      return JSON.stringify(v.v) ?? 'null';
    case 'arr':
      return `[${v.items.map(toJson).join(',')}]`;
    case 'obj':
      return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
    case 'deep': {
      const [open, close] = v.container === 'arr' ? ['[', ']'] : ['{"a":', '}'];
      return open.repeat(v.depth) + toJson(v.leaf) + close.repeat(v.depth);
    }
    case 'raw':
      return v.json ?? 'null';
    case 'bin':
      return JSON.stringify(Buffer.from(v.bytes).toString('base64'));
  }
}

export function toMsgpack(v: WireValue): Buffer {
  const w = new Writer();
  w.value(v);
  return w.bytes();
}

class Writer {
  private readonly chunks: Buffer[] = [];

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  value(v: WireValue): void {
    switch (v.t) {
      case 'lit':
        return this.scalar(v.v);
      case 'arr':
        this.header(v.items.length, 0x90, 16, 0xdc, 0xdd);
        for (const x of v.items) this.value(x);
        return;
      case 'obj':
        this.header(v.entries.length, 0x80, 16, 0xde, 0xdf);
        for (const [k, x] of v.entries) {
          this.scalar(k);
          this.value(x);
        }
        return;
      case 'deep': {
        const level = v.container === 'arr' ? Buffer.from([0x91]) : Buffer.from([0x81, 0xa1, 0x61]);
        this.chunks.push(Buffer.alloc(level.length * v.depth, level));
        this.value(v.leaf);
        return;
      }
      case 'raw':
        this.chunks.push(Buffer.from(v.msgpack ?? [0xc0]));
        return;
      case 'bin': {
        const n = v.bytes.length;
        if (n < 0x100) this.chunks.push(Buffer.from([0xc4, n]));
        else if (n < 0x10000) this.chunks.push(Buffer.from([0xc5, n >> 8, n & 0xff]));
        else this.chunks.push(u32(0xc6, n));
        this.chunks.push(Buffer.from(v.bytes));
        return;
      }
    }
  }

  private header(n: number, fix: number, fixMax: number, h16: number, h32: number): void {
    if (n < fixMax) this.chunks.push(Buffer.from([fix | n]));
    else if (n < 0x10000) this.chunks.push(Buffer.from([h16, n >> 8, n & 0xff]));
    else this.chunks.push(u32(h32, n));
  }

  private scalar(v: null | boolean | number | string): void {
    if (v === null) this.chunks.push(Buffer.from([0xc0]));
    else if (typeof v === 'boolean') this.chunks.push(Buffer.from([v ? 0xc3 : 0xc2]));
    else if (typeof v === 'string') {
      const s = Buffer.from(v, 'utf8');
      const n = s.length;
      if (n < 32) this.chunks.push(Buffer.from([0xa0 | n]));
      else if (n < 0x100) this.chunks.push(Buffer.from([0xd9, n]));
      else if (n < 0x10000) this.chunks.push(Buffer.from([0xda, n >> 8, n & 0xff]));
      else this.chunks.push(u32(0xdb, n));
      this.chunks.push(s);
    } else if (Number.isInteger(v) && v >= 0 && v < 0x80) this.chunks.push(Buffer.from([v]));
    else if (Number.isInteger(v) && v < 0 && v >= -32) this.chunks.push(Buffer.from([v & 0xff]));
    else if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) this.chunks.push(u32(0xce, v));
    else if (Number.isInteger(v) && v < 0 && v >= -0x80000000) {
      const b = Buffer.alloc(5);
      b[0] = 0xd2;
      b.writeInt32BE(v, 1);
      this.chunks.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0xcb;
      b.writeDoubleBE(v, 1);
      this.chunks.push(b);
    }
  }
}

function u32(head: number, n: number): Buffer {
  const b = Buffer.alloc(5);
  b[0] = head;
  b.writeUInt32BE(n, 1);
  return b;
}
