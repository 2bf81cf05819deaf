import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { MediaStore } from '../../connectors/whatsapp/media-store.ts';

/**
 * What the bench process itself did, with the time it did it: its garbage collections and the
 * sweep's file removals (the product and the sweep share this process and its event loop, as in
 * the worker role). Read for the window of a slow reply: a stall the database's samples cannot
 * show (its backends idle in a transaction, waiting for this process).
 */
export class ProcessEvents {
  private readonly gcs: { startMs: number; endMs: number }[] = [];
  private readonly removals: number[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const startMs = performance.timeOrigin + entry.startTime;
      this.gcs.push({ startMs, endMs: startMs + entry.duration });
    }
  });

  start(): void {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer.disconnect();
  }

  /** The same store, recording when each removal began. */
  recording(store: MediaStore): MediaStore {
    return {
      put: (channelId, name, data) => store.put(channelId, name, data),
      get: (key) => store.get(key),
      open: (key) => store.open(key),
      exists: (key) => store.exists(key),
      remove: (key) => {
        this.removals.push(Date.now());
        return store.remove(key);
      },
    };
  }

  /** "gc 12 ms in 3, 480 files removed" for the window between two epoch ms. */
  between(fromMs: number, toMs: number): string {
    let gcMs = 0;
    let gcCount = 0;
    for (const gc of this.gcs) {
      const overlap = Math.min(gc.endMs, toMs) - Math.max(gc.startMs, fromMs);
      if (overlap <= 0) continue;
      gcMs += overlap;
      gcCount += 1;
    }
    const removed = this.removals.filter((at) => at >= fromMs && at <= toMs).length;
    return `gc ${Math.round(gcMs)} ms in ${gcCount}, ${removed} files removed`;
  }
}
