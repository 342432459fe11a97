/** Quoting for SQL the lake builds as text (paths and ids go into COPY and read_parquet, which take no parameters). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A TIMESTAMP literal for a UTC instant with microsecond precision. */
export function sqlTimestampMicros(micros: bigint): string {
  return `make_timestamp(${micros.toString()}::BIGINT)`;
}
