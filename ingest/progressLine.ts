/** Counts records between progress lines and formats the rate, so every stream source prints alike. */
export class RateMeter {
  private count = 0;
  private since = Date.now();

  add(n: number): void {
    this.count += n;
  }

  /** Records per second since the previous call. */
  take(): number {
    const now = Date.now();
    const rate = (this.count * 1000) / Math.max(1, now - this.since);
    this.count = 0;
    this.since = now;
    return rate;
  }
}

export const formatCount = (n: number): string => Math.round(n).toLocaleString("en-US");
