/**
 * Resolves after `ms`. `unref`: the timer does not keep the process alive (shutdown waits). `signal`: an
 * abort ends the wait early, resolving rather than rejecting (a stop request is not an error).
 */
export function sleep(ms: number, options: { signal?: AbortSignal; unref?: boolean } = {}): Promise<void> {
  const { signal, unref = false } = options;
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    if (unref) timer.unref();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
