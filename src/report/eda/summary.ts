// The short terminal summary of an EDA run: the headline numbers and every problem count, so that a
// glance at the terminal says whether the report needs reading.
import type { EdaResult } from './eda-result.js';

function pct(share: number | null): string {
  return share === null ? 'n/a' : `${(share * 100).toFixed(1)}%`;
}

function top(counts: Record<string, number>, n = 4): string {
  const entries = Object.entries(counts);
  const shown = entries.slice(0, n).map(([k, v]) => `${k} ${v}`);
  return entries.length > n ? `${shown.join(', ')}, ... (${entries.length} values)` : shown.join(', ');
}

export function edaSummaryLines(result: EdaResult): string[] {
  const l = result.labels;
  const lines = [
    `labels   ${l.rows} rows, ${l.images} images: ${l.positive} positive (${pct(l.positiveRate)}), ${l.negative} negative; ${l.duplicateRows} duplicate rows in ${l.imagesWithDuplicateRows} images`,
  ];
  if (l.maskPixels)
    lines.push(
      `masks    median ${Math.round(l.maskPixels.median)} px (${((l.maskShare?.median ?? 0) * 100).toFixed(2)}% of image), ${l.maskPixels.min}-${l.maskPixels.max} px`,
    );
  const h = result.headers;
  if (h) {
    lines.push(
      `dicom    ${h.files} files, ${h.readable} read, ${h.unreadable.length} unreadable in ${result.seconds.headers.toFixed(1)} s`,
    );
    lines.push(`sex      ${top(h.sex)}`);
    lines.push(`view     ${top(h.view)}`);
    if (h.age.all)
      lines.push(
        `age      median ${h.age.all.median}, ${h.age.all.min}-${h.age.all.max}; ${h.age.implausible.length} over 110, ${h.age.missing} missing`,
      );
    for (const a of h.age.absences) lines.push(`         ${a}`);
    lines.push(`sizes    ${top(h.imageSize)}; photometric ${top(h.photometricInterpretation)}`);
    lines.push(
      `join     ${h.imagesWithoutLabel.length} images with no label, ${h.labelsWithoutImage.length} labels with no image, ${h.fileNameMismatches.length} files not named after their ImageId`,
    );
  }
  if (result.labelProblems.length > 0)
    lines.push(`problems ${result.labelProblems.length} label rows left out (listed in the report)`);
  return lines;
}
