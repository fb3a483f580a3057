// Progress for long loops, on stderr: a cli-progress bar on a terminal, otherwise a plain line every
// few seconds (logs and CI get a heartbeat, not a screenful of carriage returns).
import type { SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

export async function startProgress(label: string, total: number, intervalSeconds = 5): Promise<Progress> {
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import('cli-progress');
    const bar: SingleBar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | {duration_formatted} elapsed, eta {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 200 },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update: (done, newTotal) => {
        if (newTotal !== undefined && newTotal !== bar.getTotal()) bar.setTotal(newTotal);
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let last = started;
  let current = 0;
  let size = total;
  const line = () => process.stderr.write(`${label}: ${current}/${size} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  return {
    update: (done, newTotal) => {
      current = done;
      if (newTotal !== undefined) size = newTotal;
      if (Date.now() - last >= intervalSeconds * 1000) {
        last = Date.now();
        line();
      }
    },
    stop: () => {
      if (Date.now() - started >= intervalSeconds * 1000) line();
    },
  };
}
