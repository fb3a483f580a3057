// The median the benchmarks report (of step or call times): on a shared machine it is steadier than
// the mean. The mean of the two middle values for an even count; NaN for none.
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
