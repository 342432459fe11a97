/**
 * Paces a producer to `rate` records per second (undefined: as fast as the sink takes them) and prints a
 * progress line every `everyMs`. Shared by the Kafka and Pub/Sub sinks so both behave alike.
 */
export class Pacer {
  private readonly startedAt = Date.now();
  private sent = 0;
  private lastLine = Date.now();
  private lastSent = 0;

  constructor(
    private readonly rate: number | undefined,
    private readonly log: (line: string) => void,
    private readonly everyMs: number,
    private readonly label: string,
  ) {}

  get count(): number {
    return this.sent;
  }

  /** How long to wait before the next record may go (0 when on schedule or unpaced). */
  delayMs(): number {
    if (this.rate === undefined) return 0;
    const due = this.startedAt + (this.sent * 1000) / this.rate;
    return Math.max(0, due - Date.now());
  }

  /** Records per send that keep a paced stream smooth (about 20 sends a second), capped at `max`. */
  chunkSize(max: number): number {
    return this.rate === undefined ? max : Math.max(1, Math.min(max, Math.ceil(this.rate / 20)));
  }

  add(n: number): void {
    this.sent += n;
    const now = Date.now();
    if (now - this.lastLine >= this.everyMs) {
      const rate = ((this.sent - this.lastSent) * 1000) / (now - this.lastLine);
      this.log(`${this.label}: ${this.sent.toLocaleString("en-US")} sent, ${Math.round(rate).toLocaleString("en-US")} msg/s`);
      this.lastLine = now;
      this.lastSent = this.sent;
    }
  }

  summary(): string {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return `${this.label}: ${this.sent.toLocaleString("en-US")} sent in ${seconds.toFixed(1)} s (${Math.round(this.sent / Math.max(seconds, 0.001)).toLocaleString("en-US")} msg/s)`;
  }
}
