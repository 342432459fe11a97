/** `1,234,567 bytes (1.2 MB)`: exact for comparing with the limit, rounded for reading. */
export function formatBytes(bytes: number): string {
  const units = ["KB", "MB", "GB", "TB", "PB"];
  let scaled = bytes;
  let unit = "";
  for (const u of units) {
    if (scaled < 1000) break;
    scaled /= 1000;
    unit = u;
  }
  return `${bytes.toLocaleString("en-US")} bytes${unit ? ` (${scaled.toFixed(1)} ${unit})` : ""}`;
}
