// The clinical-study sections of the evaluation report (src/evaluate/study.ts's figures): intervals of
// the lead figures, operating points, calibration before and after, subgroups with an AUC interval
// plot per attribute, and the device shortcut probe, one small function per section. Writes; decides
// nothing.
import type { Interval } from '../metrics/bootstrap.js';
import type { CalibrationSummary } from '../metrics/calibration.js';
import type { StudyFigures } from '../evaluate/study.js';
import type { HtmlReport } from './html.js';
import { savePlot, type PlotSpec } from './plot.js';
import { histogram } from './plot-histogram.js';
import { intervalChart } from './plot-interval.js';
import { lineChart } from './plot-line.js';

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));

/** "0.812 (0.741-0.873)", or the estimate alone without an interval. */
export function withInterval(i: Interval): string {
  if (i.estimate === null) return 'n/a';
  return i.lower === null || i.upper === null ? f3(i.estimate) : `${f3(i.estimate)} (${f3(i.lower)}-${f3(i.upper)})`;
}

function calibrationRow(name: string, c: CalibrationSummary): (string | number | null)[] {
  return [name, c.expectedCalibrationError, c.brierScore];
}

const SUBGROUPS_INTRO =
  "From the images themselves (DICOM header, truth mask) and, where present, synth.json or the --groups CSV. AUC is the classifier's; " +
  "sensitivity, specificity and Dice on positives are the pipeline's at the bundle's thresholds. Each with its 95% bootstrap interval.";

const SHORTCUT_INTRO =
  'A classifier that learned a device instead of the finding scores negatives with the device higher than negatives without it ' +
  '(shift above 0.5: the chance that a negative with it scores above one without), and separates the classes worse among images with the device.';

/** What every study section reads: the figures, the report and a plot writer into OUT/plots. */
interface StudyPage {
  s: StudyFigures;
  report: HtmlReport;
  plot(spec: PlotSpec, name: string): Promise<void>;
}

function intervalsSection({ s, report }: StudyPage): void {
  const b = s.bootstrap;
  report.section('Confidence intervals');
  report.paragraph(
    b.resamples > 0
      ? `95% intervals by stratified bootstrap (${b.resamples} resamples drawing positives and negatives apart, seed ${b.seed}, percentile interval); ` +
          "DeLong's interval for the AUC beside it. Rates at the bundle's classifier threshold " +
          `${s.atBundleThresholds.threshold}; the pipeline calls an image positive when the classifier passes it and a mask survives.`
      : "No bootstrap was run (--bootstrap 0): point figures only, with DeLong's interval for the AUC.",
  );
  const d = s.auc.delong;
  report.table({
    columns: ['figure', 'estimate (95% CI)'],
    rows: [
      ['ROC AUC (bootstrap)', withInterval(s.auc.bootstrap)],
      ['ROC AUC (DeLong)', d ? `${f3(d.auc)} (${f3(d.lower)}-${f3(d.upper)}), SE ${f3(d.standardError)}` : 'n/a'],
      ...(['classifier', 'pipeline'] as const).flatMap((stage) =>
        (['sensitivity', 'specificity', 'ppv', 'npv'] as const).map((rate) => [
          `${stage === 'classifier' ? 'classifier alone' : 'pipeline'}: ${rate === 'ppv' ? 'PPV' : rate === 'npv' ? 'NPV' : rate}`,
          withInterval(s.atBundleThresholds[stage][rate]),
        ]),
      ),
      ['pipeline SIIM score', withInterval(s.atBundleThresholds.siimScore)],
      ['pipeline mean Dice on positives', withInterval(s.atBundleThresholds.dicePositive)],
    ],
  });
}

function operatingPointsSection({ s, report }: StudyPage): void {
  report.section('Operating points');
  report.paragraph(
    'The classifier alone. The floors are read off the ROC curve of these images, and chosen again on each resample, so their ' +
      'intervals include where the threshold falls; a threshold picked here is tuned on this set.',
  );
  report.table({
    columns: ['operating point', 'threshold', 'sensitivity (95% CI)', 'specificity (95% CI)'],
    rows: s.operatingPoints.map((p) => [
      p.name,
      p.threshold ?? 'above every score',
      withInterval(p.sensitivity),
      withInterval(p.specificity),
    ]),
  });
}

async function calibrationSection({ s, report, plot }: StudyPage): Promise<void> {
  const c = s.calibration;
  report.section('Calibration');
  report.paragraph(
    `Reliability in ${c.bins} equal bins of the classifier probability: observed share of positives against the mean probability, with each bin's count. ` +
      (c.calibrated
        ? `Calibrated with the bundle's temperature ${f3(c.calibrated.calibration.temperature)} (fitted on ${c.calibrated.calibration.n} images: ${c.calibrated.calibration.fittedOn}).`
        : 'The bundle has no calibration: `pneumo evaluate --write-bundle` on the validation split fits one.') +
      (c.temperatureFittedHere !== null
        ? ` The temperature that would fit these very images is ${f3(c.temperatureFittedHere)}.`
        : ''),
  );
  report.table({
    columns: ['probabilities', 'expected calibration error', 'Brier score'],
    rows: [
      calibrationRow('uncalibrated', c.uncalibrated),
      ...(c.calibrated ? [calibrationRow('calibrated', c.calibrated)] : []),
    ],
  });
  const curves = [
    { name: 'uncalibrated', summary: c.uncalibrated },
    ...(c.calibrated ? [{ name: 'calibrated', summary: c.calibrated }] : []),
  ];
  await plot(
    lineChart({
      title: 'Reliability diagram',
      subtitle: 'observed share of positives per probability bin; the diagonal is perfect calibration',
      points: curves.flatMap(({ name, summary }) =>
        summary.bins
          .filter((bin) => bin.count > 0)
          .map((bin) => ({ x: bin.meanProbability!, y: bin.observedRate!, series: name })),
      ),
      xTitle: 'Mean predicted probability',
      yTitle: 'Observed share of positives',
      xDomain: [0, 1],
      yDomain: [0, 1],
      showPoints: true,
      reference: { from: [0, 0], to: [1, 1], label: 'perfect' },
      width: 340,
      height: 300,
    }),
    'reliability',
  );
  report.table({
    caption: 'Reliability bins',
    columns: [
      'bin',
      'images',
      'positives',
      'mean probability',
      'observed share',
      ...(c.calibrated ? ['calibrated: images', 'mean', 'observed'] : []),
    ],
    rows: c.uncalibrated.bins.map((bin, k) => {
      const a = c.calibrated?.bins[k];
      return [
        `${bin.lower.toFixed(1)}-${bin.upper.toFixed(1)}`,
        bin.count,
        bin.positives,
        bin.meanProbability,
        bin.observedRate,
        ...(a ? [a.count, a.meanProbability, a.observedRate] : []),
      ];
    }),
  });
}

async function subgroupsSection({ s, report, plot }: StudyPage): Promise<void> {
  if (s.subgroups.length === 0) return;
  report.section('Subgroups');
  report.paragraph(SUBGROUPS_INTRO);
  for (const family of s.subgroups) {
    report.paragraph(
      `${family.title} (${family.source})${family.note ? `: ${family.note}` : ''}${family.unknown > 0 ? `; ${family.unknown} image(s) not known` : ''}.`,
    );
    report.table({
      columns: ['group', 'images', 'positives', 'AUC', 'sensitivity', 'specificity', 'Dice on positives', 'warnings'],
      rows: family.groups.map((g) => [
        g.name,
        g.images,
        g.positives,
        withInterval(g.auc),
        withInterval(g.sensitivity),
        withInterval(g.specificity),
        withInterval(g.dicePositive),
        g.warnings.join('; '),
      ]),
    });
    const shown = family.groups.filter((g) => g.auc.estimate !== null);
    if (shown.length > 0)
      await plot(
        intervalChart({
          title: `ROC AUC by ${family.title.toLowerCase()}`,
          subtitle: 'dot: AUC on the group; bar: 95% bootstrap interval; dashed: all images',
          data: shown.map((g) => ({
            category: `${g.name} (n=${g.images})`,
            estimate: g.auc.estimate!,
            lower: g.auc.lower,
            upper: g.auc.upper,
          })),
          valueTitle: 'ROC AUC',
          domain: [0, 1],
          reference: s.auc.estimate !== null ? { value: s.auc.estimate, label: 'all images' } : undefined,
        }),
        `subgroup-auc-${family.key.replace(/[^\w.-]+/g, '-')}`,
      );
  }
}

async function shortcutSection({ s, report, plot }: StudyPage): Promise<void> {
  if (s.shortcuts.length === 0) return;
  report.section('Shortcut probe');
  report.paragraph(SHORTCUT_INTRO);
  report.table({
    columns: [
      'device',
      'negatives with / without',
      'mean p of negatives with / without',
      'shift',
      'AUC with',
      'AUC without',
      'warnings',
    ],
    rows: s.shortcuts.map((p) => [
      `${p.device} (${p.source})`,
      `${p.negativesWith.images} / ${p.negativesWithout.images}`,
      `${f3(p.negativesWith.meanProbability)} / ${f3(p.negativesWithout.meanProbability)}`,
      p.negativeShift,
      withInterval(p.with.auc),
      withInterval(p.without.auc),
      [...p.with.warnings.map((w) => `with: ${w}`), ...p.without.warnings.map((w) => `without: ${w}`)].join('; '),
    ]),
  });
  for (const [k, p] of s.shortcuts.entries()) {
    const bins = p.negativesWith.histogram.length;
    const values = (side: 'with' | 'without') =>
      (side === 'with' ? p.negativesWith : p.negativesWithout).histogram.flatMap((count, bin) =>
        new Array<{ value: number; group: string }>(count).fill({
          value: (bin + 0.5) / bins,
          group: `${side} ${p.device}`,
        }),
      );
    const all = [...values('with'), ...values('without')];
    if (all.length === 0) continue;
    await plot(
      histogram({
        title: `Classifier probability of negatives with and without ${p.device}`,
        subtitle: 'share of each side; a shift to the right with the device is the shortcut',
        values: all,
        valueTitle: 'Classifier probability',
        bins: { step: 1 / bins, extent: [0, 1] },
        normalize: true,
        width: 520,
        height: 140,
      }),
      `shortcut-${k}`,
    );
  }
}

/** The study's sections, in page order. */
const SECTIONS: readonly ((page: StudyPage) => Promise<void> | void)[] = [
  intervalsSection,
  operatingPointsSection,
  calibrationSection,
  subgroupsSection,
  shortcutSection,
];

export async function writeStudySections(report: HtmlReport, s: StudyFigures, plots: string): Promise<void> {
  const plot = async (spec: PlotSpec, name: string): Promise<void> => {
    report.plot(await savePlot(spec, plots, name));
  };
  for (const section of SECTIONS) await section({ s, report, plot });
}
