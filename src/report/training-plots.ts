// The curves of a run as PNG (and SVG) in RUN/plots: loss, the task's metrics, and the learning rate,
// per epoch, training against validation.
import path from 'node:path';
import { lineChart, type LinePoint } from './plot-line.js';
import { savePlot } from './plot.js';
import type { EpochRecord } from '../train/history.js';
import type { Task } from '../train/config.js';

const METRICS: Record<Task, { key: string; title: string }[]> = {
  classifier: [
    { key: 'auc', title: 'ROC AUC' },
    { key: 'recall', title: 'recall @0.5' },
    { key: 'specificity', title: 'specificity @0.5' },
    { key: 'f1', title: 'F1 @0.5' },
  ],
  segmenter: [
    { key: 'dice', title: 'Dice (positives)' },
    { key: 'iou', title: 'IoU (positives)' },
    { key: 'diceAll', title: 'Dice (all, SIIM)' },
  ],
};

function curve(
  history: readonly EpochRecord[],
  part: 'train' | 'validation',
  key: string,
  series: string,
): LinePoint[] {
  return history.flatMap((r) => {
    const v = r[part][key];
    return v === null || v === undefined ? [] : [{ x: r.epoch, y: v, series }];
  });
}

/** Writes loss.png, metrics.png and lr.png into RUN/plots; returns the PNG paths. */
export async function writeTrainingPlots(run: string, history: readonly EpochRecord[], task: Task): Promise<string[]> {
  if (history.length === 0) return [];
  const dir = path.join(run, 'plots');
  const common = { xTitle: 'epoch', showPoints: history.length <= 30, xFormat: 'd' };
  const loss = lineChart({
    ...common,
    title: 'Loss per epoch',
    yTitle: 'loss',
    points: [...curve(history, 'train', 'loss', 'training'), ...curve(history, 'validation', 'loss', 'validation')],
  });
  // Validation only: the training metrics (augmented, model in train mode) are in metrics.csv and tb/.
  const metricPoints = METRICS[task].flatMap(({ key, title }) => curve(history, 'validation', key, title));
  const metrics = lineChart({
    ...common,
    title: 'Validation metrics per epoch',
    yTitle: 'value',
    yDomain: [0, 1],
    points: metricPoints,
  });
  const lr = lineChart({
    ...common,
    title: 'Learning rate at the end of each epoch',
    yTitle: 'learning rate',
    points: history.map((r) => ({ x: r.epoch, y: r.lr })),
  });
  const saved = [];
  for (const [name, spec] of [
    ['loss', loss],
    ['metrics', metrics],
    ['lr', lr],
  ] as const)
    saved.push((await savePlot(spec, dir, name)).png);
  return saved;
}
