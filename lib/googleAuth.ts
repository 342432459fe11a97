/**
 * Google's auth library probes the GCE metadata server over the network when it finds no credentials.
 * Detecting GCE from the local BIOS data instead answers the same question without leaving the machine.
 * Call before creating a Google Cloud client.
 */
export function avoidMetadataServerProbe(): void {
  process.env.METADATA_SERVER_DETECTION ??= "bios-only";
}
