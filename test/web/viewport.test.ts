// The viewer's pure parts: fit, zoom about a point, pan and the screen <-> image mapping at known
// numbers; the keymap (every key one action, presets and tools bound from their lists); the ruler's
// length on anisotropic pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitViewport, imageToScreen, MAX_ZOOM, panFrom, screenToImage, zoomAbout } from '../../web/src/viewport.js';
import { keyOf, TOOLS, VIEWER_KEYMAP, viewerActionForKey } from '../../web/src/viewer-keymap.js';
import { presetById, WINDOW_PRESETS } from '../../web/src/window-presets.js';
import { rulerLength, rulerText } from '../../web/src/ruler.js';

test('fit: a 1000 x 500 image in an 800 x 600 stage is zoomed 0.8 and centred vertically', () => {
  assert.deepEqual(fitViewport({ width: 1000, height: 500 }, { width: 800, height: 600 }), {
    zoom: 0.8,
    panX: 0,
    panY: 100,
  });
  // A portrait image: limited by the height, centred horizontally.
  assert.deepEqual(fitViewport({ width: 300, height: 600 }, { width: 800, height: 600 }), {
    zoom: 1,
    panX: 250,
    panY: 0,
  });
});

test('zoom about a point keeps the image point under it; zoom is clamped; pan moves by the drag', () => {
  const view = { zoom: 0.5, panX: 10, panY: 20 };
  const at = { x: 210, y: 120 };
  const under = screenToImage(view, at);
  assert.deepEqual(under, { x: 400, y: 200 });
  const zoomed = zoomAbout(view, 4, at);
  assert.equal(zoomed.zoom, 2);
  assert.deepEqual(imageToScreen(zoomed, under), at);
  assert.equal(zoomAbout({ zoom: 20, panX: 0, panY: 0 }, 10, { x: 0, y: 0 }).zoom, MAX_ZOOM);
  assert.deepEqual(panFrom(view, -30, 5), { zoom: 0.5, panX: -20, panY: 25 });
});

test('keymap: each key has one action; presets and tools get their keys from their lists', () => {
  assert.equal(viewerActionForKey('A'), 'agree');
  assert.equal(viewerActionForKey('Escape'), 'back');
  assert.equal(viewerActionForKey('1'), 'preset-dicom');
  assert.equal(viewerActionForKey('m'), 'tool-ruler');
  assert.equal(viewerActionForKey('q'), null);
  for (const preset of WINDOW_PRESETS) assert.equal(VIEWER_KEYMAP.get(preset.key), `preset-${preset.id}`);
  for (const { tool, key } of TOOLS) assert.equal(VIEWER_KEYMAP.get(key), `tool-${tool}`);
  assert.equal(keyOf('zoom-in'), '+');
  assert.equal(keyOf('back'), 'Esc');
  assert.throws(() => presetById('nope'), /no window preset nope; presets: dicom, full, auto/);
});

test('window presets: the file window when there is one, else the full range', () => {
  const inputs = { values: [0, 10], slope: 1, intercept: 0, range: { min: 0, max: 10 }, fileWindow: null };
  assert.deepEqual(presetById('dicom').choose(inputs), { center: 5.5, width: 11 });
  assert.deepEqual(presetById('dicom').choose({ ...inputs, fileWindow: { center: 3, width: 4 } }), {
    center: 3,
    width: 4,
  });
});

test('ruler: 30 columns by 40 rows at 0.5 x 0.25 mm is hypot(7.5, 20) mm; without spacing, pixels', () => {
  // pixelSpacing is [row, column]: rows 0.5 mm apart, columns 0.25 mm.
  const length = rulerLength({ x: 10, y: 10 }, { x: 40, y: 50 }, [0.5, 0.25]);
  assert.equal(length.pixels, 50);
  assert.ok(Math.abs(length.mm! - Math.hypot(30 * 0.25, 40 * 0.5)) < 1e-12);
  assert.equal(rulerText(length), '21.4 mm');
  assert.equal(rulerText(rulerLength({ x: 0, y: 0 }, { x: 3, y: 4 }, null)), '5 px (no pixel spacing)');
});
