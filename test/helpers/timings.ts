/** Wall-time of the steps of an end-to-end run, printed after it (timings go to logs, not asserts). */
export interface Timings {
  /** Runs `work`, recording how long it took under `label`. */
  timed<T>(label: string, work: () => T | Promise<T>): Promise<T>;
  /** Prints every recorded step, one line each, labels padded to `width`. */
  print(width?: number): void;
}

export function timings(): Timings {
  const recorded: [string, number][] = [];
  return {
    async timed(label, work) {
      const start = Date.now();
      try {
        return await work();
      } finally {
        recorded.push([label, (Date.now() - start) / 1000]);
      }
    },
    print(width = 52) {
      console.log("\n    timings (s):");
      for (const [label, seconds] of recorded) {
        console.log(`      ${label.padEnd(width)} ${seconds.toFixed(1)}`);
      }
    },
  };
}
