// Progress of `pneumo train` on stderr: per epoch a bar with loss, images/s and ETA when stderr is a
// terminal (a plain line every few seconds otherwise), then one summary line per epoch.
import cliProgress from 'cli-progress';
import type { TrainReporter, Phase } from '../train/trainer.js';
import type { EpochRecord } from '../train/history.js';

const fmt = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

export function epochSummary(record: EpochRecord, monitor: string, best: boolean, epochs: number): string {
  const metric = monitor === 'loss' ? '' : ` ${monitor} ${fmt(record.train[monitor])}`;
  const valMetric = monitor === 'loss' ? '' : ` ${monitor} ${fmt(record.validation[monitor])}`;
  const validation =
    record.validation.loss === null ? 'not validated' : `val loss ${fmt(record.validation.loss)}${valMetric}`;
  return (
    `epoch ${record.epoch}/${epochs}  train loss ${fmt(record.train.loss)}${metric}  |  ${validation}` +
    `  |  lr ${record.lr.toExponential(2)}  ${record.trainImagesPerSecond.toFixed(1)} img/s  ${record.seconds.toFixed(0)} s${best ? '  * best' : ''}`
  );
}

/** `name` (a stage and fold of a fit) leads each bar and epoch line. */
export function trainProgress(epochs: number, plainIntervalMs = 10000, name = ''): TrainReporter {
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  let lastPlain = 0;
  let label = '';
  const write = (line: string) => process.stderr.write(line + '\n');
  return {
    phaseStart({ epoch, phase, batches }) {
      label = `${name ? `${name} ` : ''}${phase === 'train' ? 'train' : 'valid'} ${epoch}/${epochs}`;
      if (tty) {
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {value}/{total} | loss {loss} | {speed} img/s | eta {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(batches, 0, { loss: 'n/a', speed: '0' });
      }
      lastPlain = Date.now();
    },
    batch({
      batch,
      batches,
      loss,
      imagesPerSecond,
    }: {
      phase: Phase;
      batch: number;
      batches: number;
      loss: number;
      imagesPerSecond: number;
    }) {
      if (bar) bar.update(batch, { loss: loss.toFixed(4), speed: imagesPerSecond.toFixed(1) });
      else if (Date.now() - lastPlain >= plainIntervalMs) {
        lastPlain = Date.now();
        write(`${label}: batch ${batch}/${batches}, loss ${loss.toFixed(4)}, ${imagesPerSecond.toFixed(1)} img/s`);
      }
    },
    phaseEnd() {
      bar?.stop();
      bar = null;
    },
    epochEnd(record, { best, monitor }) {
      write(`${name ? `${name}: ` : ''}${epochSummary(record, monitor, best, epochs)}`);
    },
    message(text) {
      write(text);
    },
  };
}
