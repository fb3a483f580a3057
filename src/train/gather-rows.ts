// Validation sharded across the ranks of a data-parallel run: rank r scores positions r, r + W, r + 2W,
// ... of the validation set (no padding, every image once). Every rank's per-image rows are gathered
// to every rank and dealt back into the set's order, so each rank summarises the whole set exactly as
// one process would (ROC AUC, thresholds, mean Dice over every image, in the same order).
import type { ProcessGroup } from '../torch/distributed/index.js';
import type { MetricAccumulator } from './tasks.js';

export function gatherRows(group: ProcessGroup, accumulator: MetricAccumulator): void {
  const mine = accumulator.rows();
  // Rows of one image are cut again by their width; each rank says its own, as the first number.
  const width = mine[0]?.length ?? 0;
  const shares = group.allGatherNumbers([width, ...mine.flat()]).map(([w, ...values]) => {
    const rows: number[][] = [];
    for (let i = 0; w > 0 && i < values.length; i += w) rows.push(values.slice(i, i + w));
    return rows;
  });
  // Position k * W + r of the set is row k of rank r. An image a rank could not read leaves no row;
  // the rest keep their order.
  const whole: number[][] = [];
  const longest = Math.max(...shares.map((s) => s.length));
  for (let k = 0; k < longest; k++) for (const share of shares) if (k < share.length) whole.push(share[k]);
  accumulator.setRows(whole);
}
