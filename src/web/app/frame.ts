/**
 * Coalesces renders into the next animation frame: many publications per frame cost one paint,
 * which keeps the page smooth at any feed rate.
 */
export function frameBatched(render: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render();
    });
  };
}
