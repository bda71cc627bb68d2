// The soak's heap sample, shared by the aiotflow child (node-red.cjs has the same few lines in JavaScript).

/** V8's heap after a forced full GC (the process runs with --expose-gc): what the process cannot free. */
export function heapSample(): { heap_mb: number; rss_mb: number; at_ms: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc: the soak samples the heap after a forced GC");
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap_mb: heapUsed / 2 ** 20, rss_mb: rss / 2 ** 20, at_ms: performance.now() };
}
