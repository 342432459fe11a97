/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so the synthetic generator is reproducible across
 * Node versions and machines; Math.random cannot be seeded.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    let state = typeof seed === "number" ? seed >>> 0 : hashString(seed);
    const next = () => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // The first outputs of sfc32 still correlate with the seed words.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("Random.pick: empty list");
    return item;
  }

  /** Gap to the next event of a process that fires with `rate` per step (at least 1): geometric, drawn once. */
  gap(rate: number): number {
    return 1 + Math.floor(-Math.log(1 - this.next()) / rate);
  }

  /**
   * About `fraction` of the items, but at least one when there are any, so every anomaly the pipeline must
   * handle shows up even in a small fleet.
   */
  some<T>(items: readonly T[], fraction: number): Set<T> {
    const chosen = new Set<T>();
    if (items.length === 0) return chosen;
    const wanted = Math.max(1, Math.round(items.length * fraction));
    const pool = [...items];
    while (chosen.size < wanted && pool.length > 0) {
      const index = Math.floor(this.next() * pool.length);
      chosen.add(pool[index] as T);
      pool[index] = pool[pool.length - 1] as T;
      pool.pop();
    }
    return chosen;
  }
}

/** FNV-1a, 32 bits. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
