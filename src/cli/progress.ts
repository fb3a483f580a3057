// Progress for long commands, on stderr so stdout stays machine-readable: a cli-progress bar when
// stderr is a terminal, otherwise a plain line at most every few seconds (logs, CI). With a unit, the
// rate (units/s) is shown too.
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update(done: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** What is counted, e.g. `images`: shown with the counts and as a rate. Without one, a percentage. */
  unit?: string;
  /** Least time between two plain lines. */
  intervalMs?: number;
  /** When the work began (Date.now()), for a reporter made after the first piece was done. */
  startedAt?: number;
}

export function progressReporter(label: string, total: number, options: ProgressOptions = {}): ProgressReporter {
  const { unit, intervalMs = 5000 } = options;
  const started = options.startedAt ?? Date.now();
  const rate = (done: number) => (done / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(1);
  if (process.stderr.isTTY) {
    const counts = unit ? `{value}/{total} ${unit} | {rate} ${unit}/s` : '{value}/{total} {percentage}%';
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] ${counts} | eta {eta_formatted}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0' });
    return { update: (done) => bar.update(done, { rate: rate(done) }), stop: () => bar.stop() };
  }
  let last = 0;
  return {
    update(done) {
      const now = Date.now();
      if (now - last >= intervalMs || done === total) {
        last = now;
        const counts = unit ? `${done}/${total} ${unit}, ${rate(done)} ${unit}/s` : `${done}/${total}`;
        process.stderr.write(`${label}: ${counts}\n`);
      }
    },
    stop() {},
  };
}

/**
 * Progress for work that reports `(done, total)` through a callback: the reporter starts at the first
 * call, when the total is known, and `stop` is safe when it never started.
 */
export function progressCallback(
  label: string,
  options: ProgressOptions = {},
): { onProgress(done: number, total: number): void; stop(): void } {
  let reporter: ProgressReporter | null = null;
  // The rate counts from now, not from the first report (which comes after the first batch).
  const startedAt = options.startedAt ?? Date.now();
  return {
    onProgress(done, total) {
      reporter ??= progressReporter(label, total, { ...options, startedAt });
      reporter.update(done);
    },
    stop() {
      reporter?.stop();
    },
  };
}
