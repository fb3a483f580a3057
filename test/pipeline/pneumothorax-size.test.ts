// Pneumothorax size on synthetic masks whose extent is known: an apical cap and a lateral rim drawn
// pixel by pixel, with anisotropic spacing so that rows and columns cannot be swapped unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyMask, type Mask } from '../../src/data/image.js';
import { ACCP_LARGE_MM, BTS_LARGE_MM, measurePneumothorax, sizeText } from '../../src/pipeline/pneumothorax-size.js';

function fill(mask: Mask, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) mask.data[y * mask.width + x] = 1;
}

test('an apical cap 40 rows high at 0.8 mm per row is 32 mm apex-to-cupola: large by ACCP, not by BTS', () => {
  const mask = emptyMask(200, 200);
  fill(mask, 20, 10, 79, 49); // rows 10..49: 40 rows
  const size = measurePneumothorax(mask, [0.8, 0.5], { hilumRow: 90 })!;
  assert.equal(size.sides.length, 1);
  assert.equal(size.sides[0].half, 'image-left');
  assert.deepEqual(
    { top: size.sides[0].apexToCupola.top, bottom: size.sides[0].apexToCupola.bottom },
    { top: 10, bottom: 49 },
  );
  assert.ok(Math.abs(size.apexToCupolaMm - 32) < 1e-9);
  assert.equal(size.interpleuralMm, 0);
  assert.equal(size.sides[0].interpleural, null);
  assert.equal(size.largeAccp, true);
  assert.equal(size.largeBts, false);
  assert.equal(size.large, true);
  assert.equal(sizeText(size), 'apex-cupola 3.2 cm (ACCP large), interpleural at hilum 0.0 cm (BTS small)');
});

test('a lateral rim 39 columns wide at the hilum row, at 0.5 mm per column, is 19.5 mm: just below BTS large', () => {
  const mask = emptyMask(200, 200);
  // Image-right half: a cap of 10 rows (rows 20..29) over columns 120..189, then a rim down the wall.
  fill(mask, 120, 20, 189, 29);
  fill(mask, 151, 30, 189, 150); // columns 151..189: 39 wide at every row below the cap
  const small = measurePneumothorax(mask, [0.8, 0.5], { hilumRow: 90 })!;
  assert.equal(small.sides[0].half, 'image-right');
  assert.deepEqual(small.sides[0].interpleural, { row: 90, left: 151, right: 189, mm: 19.5 });
  // The cap over the lung is 10 rows (columns 120..150); the rim's columns run on down the wall and
  // are not the distance from the cupola to the lung apex.
  assert.deepEqual(small.sides[0].apexToCupola, { column: 135, top: 20, bottom: 29, mm: 8 });
  assert.equal(small.largeBts, false);
  fill(mask, 150, 90, 150, 90); // one more column at the hilum row: 40 x 0.5 = 20 mm
  const large = measurePneumothorax(mask, [0.8, 0.5], { hilumRow: 90 })!;
  assert.equal(large.interpleuralMm, BTS_LARGE_MM);
  assert.equal(large.largeBts, true);
});

test('a bilateral pneumothorax is measured per half and graded by the larger of each measure', () => {
  const mask = emptyMask(100, 100);
  fill(mask, 5, 2, 30, 11); // image-left: 10 rows
  fill(mask, 60, 3, 90, 42); // image-right: 40 rows, 31 columns at row 40
  const size = measurePneumothorax(mask, [1, 1], { hilumRow: 40 })!;
  assert.deepEqual(
    size.sides.map((s) => [s.half, s.apexToCupola.mm, s.interpleural?.mm ?? 0]),
    [
      ['image-right', 40, 31],
      ['image-left', 10, 0],
    ],
  );
  assert.equal(size.apexToCupolaMm, 40);
  assert.ok(size.apexToCupolaMm >= ACCP_LARGE_MM && size.large);
});

test('the default hilum level is 45 % of the image height; no spacing or an empty mask measures nothing', () => {
  const mask = emptyMask(64, 101);
  fill(mask, 2, 0, 9, 100);
  assert.equal(measurePneumothorax(mask, [1, 1])!.hilumRow, 45);
  assert.equal(measurePneumothorax(mask, null), null);
  assert.equal(measurePneumothorax(mask, [0, 1]), null);
  assert.equal(measurePneumothorax(emptyMask(64, 64), [1, 1]), null);
});
