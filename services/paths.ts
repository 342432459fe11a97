import os from "node:os";
import path from "node:path";

/**
 * Services are machine-wide (one broker on :9092 serves every checkout), so their files live in the
 * user's cache, not in PULSE_HOME: jars are downloaded once and later runs work offline.
 */
export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(base, "pulse");
}

/** pid files, logs and data of running services; override with PULSE_SERVICES_DIR (tests use private dirs). */
export function servicesStateDir(): string {
  return process.env.PULSE_SERVICES_DIR ?? path.join(cacheRoot(), "services");
}
