import type { BronzeRow, WrittenBatch } from "../../lake/lakeWriter.js";
import { LakeWriter } from "../../lake/lakeWriter.js";
import type { MultiplexBatch } from "./multiplexBatch.js";

/** Where `pulse ingest` writes bronze: the local lake (the default) or BigQuery through the Storage Write API. */
export type BronzeSinkSpec = { kind: "lake" } | { kind: "bigquery"; projectId: string; dataset: string };

/**
 * The sink boundary: what StreamSink needs of a bronze store. Each write is durable (lake: renamed into
 * place; BigQuery: committed) when it resolves, which is the moment the source may commit offsets or ack.
 */
export interface BronzeTarget {
  /** Where rows go, for log lines ("lake", "BigQuery p.bronze"). */
  readonly name: string;
  /** False when progress cannot be read back from the local lake (the Kafka replay filter then starts empty). */
  readonly lakeHoldsProgress: boolean;
  writeDeadLetters(rows: BronzeRow[], tag: string): Promise<WrittenBatch>;
  writeMultiplex(batch: MultiplexBatch, tag: string): Promise<WrittenBatch>;
  close(): Promise<void>;
}

class LakeTarget implements BronzeTarget {
  readonly name = "lake";
  readonly lakeHoldsProgress = true;

  constructor(private readonly writer: LakeWriter) {}

  writeDeadLetters(rows: BronzeRow[], tag: string): Promise<WrittenBatch> {
    return this.writer.writeRows("dead_letters", rows, { tag });
  }

  writeMultiplex(batch: MultiplexBatch, tag: string): Promise<WrittenBatch> {
    return batch.write(this.writer, tag);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/** Opens the chosen sink; the BigQuery one is imported only when asked for (its gRPC client is slow to load). */
export async function openBronzeTarget(spec: BronzeSinkSpec | undefined, home: string): Promise<BronzeTarget> {
  if (spec?.kind === "bigquery") {
    const { BigQueryBronzeTarget } = await import("./bigqueryBronzeTarget.js");
    return BigQueryBronzeTarget.open(spec);
  }
  return new LakeTarget(await LakeWriter.open(home, { threads: 1, memoryLimit: "128MB" }));
}
