/** Shared by the *.test.ts files only. */

/** Lets nact run `n` messages: it handles one message per event-loop turn (one setImmediate each). */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves once `count` ticks happened. */
export function countdown(count: number): { readonly done: Promise<void>; tick(): void } {
  let left = count;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    done,
    tick: () => {
      left -= 1;
      if (left === 0) resolve();
    },
  };
}
