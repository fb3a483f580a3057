// The colour channel of a chart whose marks belong to named groups (bar groups, histogram groups,
// line series): one nominal field, its legend titled, the groups in the caller's order.
import { groupColorScale } from './plot.js';

export function groupColorEncoding(
  field: string,
  title: string | null,
  groups: readonly string[],
  colors: Record<string, string> | undefined,
) {
  return { field, type: 'nominal', title, sort: [...groups], scale: groupColorScale(groups, colors) };
}
