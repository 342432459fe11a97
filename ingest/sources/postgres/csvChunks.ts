import fs from "node:fs";
import { Writable } from "node:stream";

const NEWLINE = 0x0a;
const QUOTE = 0x22;

/**
 * Splits a CSV byte stream (COPY … TO STDOUT (FORMAT csv)) into files of `rowsPerChunk` rows, cut only at row ends:
 * a newline inside a quoted field is not one (a `""` escape toggles the quote state twice). Each full file is handed
 * to `onChunk` in order. While one chunk is processed (DuckDB) the next one is read (PostgreSQL), as both take
 * about as long; reading waits once the next chunk is full (backpressure reaches PostgreSQL), so memory holds
 * two chunks at most.
 */
export class CsvChunker extends Writable {
  private parts: Buffer[] = [];
  private rows = 0;
  private inQuotes = false;
  private index = 0;
  /** The chunk being processed, if any; a failure surfaces at the next write or at the end. */
  private processing: Promise<void> = Promise.resolve();

  constructor(
    private readonly rowsPerChunk: number,
    private readonly chunkPath: (index: number) => string,
    private readonly onChunk: (file: string, rows: number) => Promise<void>,
  ) {
    super();
  }

  override _write(buffer: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take(buffer).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush()
      .then(() => this.processing)
      .then(() => callback(), callback);
  }

  private async take(buffer: Buffer): Promise<void> {
    let start = 0;
    // Fast path: COPY quotes only fields holding a comma, quote or newline, or empty strings; most buffers have none.
    const quoted = this.inQuotes || buffer.indexOf(QUOTE) !== -1;
    for (let i = 0; i < buffer.length; i++) {
      const byte = quoted ? buffer[i] : NEWLINE;
      if (!quoted) {
        i = buffer.indexOf(NEWLINE, i);
        if (i === -1) break;
      }
      if (byte === QUOTE) this.inQuotes = !this.inQuotes;
      else if (byte === NEWLINE && !this.inQuotes && ++this.rows >= this.rowsPerChunk) {
        this.parts.push(buffer.subarray(start, i + 1));
        start = i + 1;
        await this.flush();
      }
    }
    if (start < buffer.length) this.parts.push(buffer.subarray(start));
  }

  private async flush(): Promise<void> {
    if (this.rows === 0) return;
    await this.processing;
    const file = this.chunkPath(this.index++);
    fs.writeFileSync(file, Buffer.concat(this.parts));
    const rows = this.rows;
    this.parts = [];
    this.rows = 0;
    this.processing = this.onChunk(file, rows);
    // Observed at the next flush or at the end; until then a rejection must not count as unhandled.
    this.processing.catch(() => undefined);
  }
}
