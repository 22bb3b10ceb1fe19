/** Process memory in bytes; heap figures are absent when Node could not read them. */
export interface ProcessMemory {
  rssBytes: number;
  heapUsedBytes?: number;
  heapTotalBytes?: number;
  externalBytes?: number;
  arrayBuffersBytes?: number;
}

/**
 * process.memoryUsage() throws (EMFILE) when the process is at its open-file limit, which is
 * exactly when an operator wants the figures: fall back to rss alone, and to 0 if even that fails,
 * rather than failing the snapshot or the HTTP request.
 */
export function processMemory(): ProcessMemory {
  try {
    const m = process.memoryUsage();
    return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers };
  } catch {
    try {
      return { rssBytes: process.memoryUsage.rss() };
    } catch {
      return { rssBytes: 0 };
    }
  }
}
