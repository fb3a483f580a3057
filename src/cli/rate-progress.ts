// Progress with a rate, on stderr: a cli-progress bar showing images/s and ETA when stderr is a
// terminal, otherwise a plain line at most every few seconds (logs, CI).
import cliProgress from 'cli-progress';

export interface RateProgress {
  update(done: number): void;
  stop(): void;
}

/** `startedAt` (a Date.now() value) is when the work began, for callers that learn the total only later. */
export function rateProgress(
  label: string,
  total: number,
  unit = 'images',
  intervalMs = 5000,
  startedAt = Date.now(),
): RateProgress {
  const started = startedAt;
  const rate = (done: number) => (done / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(1);
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | eta {eta_formatted}`,
        hideCursor: true,
      },
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
        process.stderr.write(`${label}: ${done}/${total} ${unit}, ${rate(done)} ${unit}/s\n`);
      }
    },
    stop() {},
  };
}
