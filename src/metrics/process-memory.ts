import { getHeapStatistics } from 'node:v8';

/** Process memory in bytes; a figure the OS refused to give is absent. */
export interface ProcessMemory {
  rssBytes?: number;
  heapUsedBytes?: number;
  heapTotalBytes?: number;
  externalBytes?: number;
  arrayBuffersBytes?: number;
}

/**
 * process.memoryUsage() throws (EMFILE) when the process is at its open-file limit, because
 * reading rss opens /proc/self/stat; that is exactly when an operator wants the figures. Then the
 * heap comes from V8 (no file needed), and rss from memoryUsage.rss() if it can, else it is absent.
 */
export function processMemory(): ProcessMemory {
  try {
    const m = process.memoryUsage();
    return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers };
  } catch {
    const heap = getHeapStatistics();
    const out: ProcessMemory = { heapUsedBytes: heap.used_heap_size, heapTotalBytes: heap.total_heap_size, externalBytes: heap.external_memory };
    try {
      out.rssBytes = process.memoryUsage.rss();
    } catch {
      // Absent: it needs a file descriptor as well.
    }
    return out;
  }
}
