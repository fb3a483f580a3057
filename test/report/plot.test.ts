import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { PlotError, renderSvg, savePlot } from '../../src/report/plot.js';
import { barChart } from '../../src/report/plot-bar.js';
import { histogram } from '../../src/report/plot-histogram.js';
import { lineChart } from '../../src/report/plot-line.js';
import { heatMap, HeatMapError } from '../../src/report/plot-heatmap.js';

/** The data-bearing description Vega writes on each mark of one kind ("bar", "line mark", ...). */
function markLabels(svg: string, role: string): string[] {
  const re = new RegExp(`aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="${role}"`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1].replace(/&apos;/g, "'"));
}
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

test('bar chart: one bar per datum, titles and value labels drawn', async () => {
  const svg = await renderSvg(
    barChart({
      title: 'Sex by class',
      data: [
        { category: 'M', group: 'negative', value: 7 },
        { category: 'M', group: 'positive', value: 3 },
        { category: 'F', group: 'negative', value: 5 },
        { category: 'F', group: 'positive', value: 0 },
      ],
      categoryTitle: 'Sex',
      valueTitle: 'Images',
      groupTitle: 'Class',
      showValues: true,
    }),
  );
  const bars = markLabels(svg, 'bar');
  assert.equal(bars.length, 4);
  assert.ok(bars.some((b) => b.includes('Sex: M') && b.includes('Images: 7') && b.includes('Class: negative')));
  const drawn = texts(svg);
  for (const t of ['Sex by class', 'Sex', 'Images', 'Class', 'negative', 'positive', '7', '3', '5', '0'])
    assert.ok(drawn.includes(t), `text "${t}" drawn`);
});

test('histogram: Vega-Lite bins the values and normalizes per group', async () => {
  const values = [
    ...[0.5, 1.5, 1.7, 9.9].map((value) => ({ value, group: 'a' })),
    ...[1.2, 3.0].map((value) => ({ value, group: 'b' })),
  ];
  const svg = await renderSvg(
    histogram({
      title: 'H',
      values,
      valueTitle: 'v',
      bins: { step: 1, extent: [0, 10] },
      normalize: true,
      groupTitle: 'g',
    }),
  );
  const bars = markLabels(svg, 'bar').map((label) => {
    const field = (name: string) => label.match(new RegExp(`(?:^|; )${name}: ([^;]*)`))?.[1];
    return `${field('g')} ${field('from')}-${field('to')} n=${field('count')} ${field('share')}`;
  });
  assert.deepEqual(bars.sort(), [
    'a 0-1 n=1 25.0%',
    'a 1-2 n=2 50.0%',
    'a 9-10 n=1 25.0%',
    'b 1-2 n=1 50.0%',
    'b 3-4 n=1 50.0%',
  ]);
  assert.ok(texts(svg).includes('Share of group'));
});

test('line chart: one line per series, the reference segment drawn', async () => {
  const svg = await renderSvg(
    lineChart({
      title: 'Loss',
      points: [0, 1, 2].flatMap((x) => [
        { x, y: 1 / (x + 1), series: 'train' },
        { x, y: 2 / (x + 1), series: 'validation' },
      ]),
      xTitle: 'Epoch',
      yTitle: 'Loss',
      reference: { from: [0, 0], to: [2, 2] },
    }),
  );
  assert.equal(markLabels(svg, 'line mark').length, 2);
  assert.equal((svg.match(/aria-roledescription="rule mark container"/g) ?? []).length, 1);
  for (const t of ['Loss', 'Epoch', 'train', 'validation']) assert.ok(texts(svg).includes(t));
});

test('heat map: categorical cells carry their values; a wrong grid size is refused', async () => {
  const svg = await renderSvg(
    heatMap({
      title: 'Confusion',
      grid: [50, 3, 7, 20],
      rows: 2,
      columns: 2,
      xLabels: ['neg', 'pos'],
      yLabels: ['neg', 'pos'],
      xTitle: 'Predicted',
      yTitle: 'True',
      valueTitle: 'Images',
      showValues: true,
    }),
  );
  const cells = markLabels(svg, 'rect mark');
  assert.equal(cells.length, 4);
  assert.ok(cells.includes('Predicted: neg; True: pos; Images: 7'), cells.join(' | '));
  for (const t of ['50', '3', '7', '20', 'Predicted', 'True']) assert.ok(texts(svg).includes(t));
  assert.throws(
    () => heatMap({ title: 'x', grid: [1, 2, 3], rows: 2, columns: 2, xTitle: 'x', yTitle: 'y', valueTitle: 'v' }),
    HeatMapError,
  );
});

test('savePlot writes an SVG and a PNG at twice the size, with the text rasterised', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-plot-'));
  try {
    const spec = heatMap({
      title: 'Mask location',
      grid: [0, 1, 2, 3, 4, 5],
      rows: 2,
      columns: 3,
      xExtent: [0, 1024],
      yExtent: [0, 512],
      xTitle: 'Column',
      yTitle: 'Row',
      valueTitle: 'Share',
    });
    const saved = await savePlot(spec, path.join(dir, 'plots'), 'mask-location');
    assert.deepEqual(saved, {
      svg: path.join(dir, 'plots', 'mask-location.svg'),
      png: path.join(dir, 'plots', 'mask-location.png'),
    });
    const svg = await readFile(saved.svg, 'utf8');
    const [, w, h] = svg.match(/<svg[^>]* width="(\d+)" height="(\d+)"/) ?? [];
    const png = sharp(saved.png);
    const meta = await png.metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 2 * Number(w));
    assert.equal(meta.height, 2 * Number(h));
    // The title sits in the top-left corner on a white background: glyphs mean near-black pixels there.
    const { data, info } = await png
      .extract({ left: 0, top: 0, width: 240, height: 50 })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const dark = data.filter((v) => v < 80).length;
    assert.ok(dark > 200 && dark < info.width * info.height * 0.5, `${dark} dark pixels in the title area`);
    await assert.rejects(savePlot(spec, dir, '../escape'), PlotError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
