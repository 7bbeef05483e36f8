/**
 * Remembers, for each duplicate key (a lead's normalized email), the first row of the file that
 * had it, in typed arrays of 64-bit hashes: about 24 bytes a key instead of a string and a Map
 * entry, so the duplicate check of a million-row import costs tens of megabytes, not hundreds.
 * Two different keys share a hash with a probability of about n²/2⁶⁵ (3·10⁻⁸ for a million keys).
 */
export class FirstRowIndex {
  private high: Uint32Array;
  private low: Uint32Array;
  private rows: Int32Array;
  private count = 0;

  constructor(capacity = 1024) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    this.rows = new Int32Array(size);
  }

  get size(): number {
    return this.count;
  }

  /** The first row that had `key`, or undefined (and `row` is remembered as the first). */
  firstOrAdd(key: string, row: number): number | undefined {
    const [high, low] = hash64(key);
    const mask = this.high.length - 1;
    let slot = high & mask;
    for (;;) {
      const storedRow = this.rows[slot] as number;
      if (storedRow === 0) break;
      if (this.high[slot] === high && this.low[slot] === low) return storedRow;
      slot = (slot + 1) & mask;
    }
    this.high[slot] = high;
    this.low[slot] = low;
    this.rows[slot] = row;
    if (++this.count * 2 > this.high.length) this.grow();
    return undefined;
  }

  private grow(): void {
    const { high, low, rows } = this;
    const size = high.length * 2;
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    this.rows = new Int32Array(size);
    const mask = size - 1;
    for (let old = 0; old < rows.length; old++) {
      if (rows[old] === 0) continue;
      let slot = (high[old] as number) & mask;
      while (this.rows[slot] !== 0) slot = (slot + 1) & mask;
      this.high[slot] = high[old] as number;
      this.low[slot] = low[old] as number;
      this.rows[slot] = rows[old] as number;
    }
  }
}

/** Two independent 32-bit string hashes (FNV-1a and a murmur-style mix). */
function hash64(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  return [a >>> 0, b >>> 0];
}
