// Calibration figures on hand-computed cases, and temperature scaling recovering a known temperature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyTemperature,
  brierScore,
  fitTemperature,
  logit,
  reliabilityBins,
  sigmoid,
  summariseCalibration,
} from '../../src/metrics/calibration.js';
import { Rng } from '../../src/data/random.js';

const close = (a: number | null, b: number, what: string, tol = 1e-12) =>
  assert.ok(a !== null && Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

test('reliability bins, ECE and Brier by hand', () => {
  // Bin 0.1-0.2: p 0.1, 0.15 (labels 0, 1): mean 0.125, observed 0.5. Bin 0.9-1.0: p 0.9, 1.0 (1, 1):
  // mean 0.95, observed 1. ECE = 2/4 * 0.375 + 2/4 * 0.05 = 0.2125.
  const p = [0.1, 0.15, 0.9, 1.0];
  const y = [0, 1, 1, 1];
  const s = summariseCalibration(p, y);
  assert.equal(s.bins.length, 10);
  assert.equal(s.bins[1].count, 2);
  close(s.bins[1].meanProbability, 0.125, 'mean bin 1');
  close(s.bins[1].observedRate, 0.5, 'rate bin 1');
  assert.equal(s.bins[9].count, 2, 'p = 1 falls in the last bin');
  assert.equal(s.bins[0].meanProbability, null);
  close(s.expectedCalibrationError, 0.2125, 'ece');
  close(brierScore(p, y), (0.01 + 0.7225 + 0.01 + 0) / 4, 'brier');
  assert.equal(
    reliabilityBins(p, y, 5).reduce((n, b) => n + b.count, 0),
    4,
  );
  assert.throws(() => brierScore([1.2], [1]), /probability 0 is 1.2/);
});

test('temperature scaling recovers the temperature of an over-confident model', () => {
  // Labels drawn from sigmoid(z); the model reports sigmoid(2.5 z): the fitted T should be near 2.5.
  const rng = new Rng(11);
  const z = Array.from({ length: 4000 }, () => rng.normal(0, 2));
  const y = z.map((v) => (rng.next() < sigmoid(v) ? 1 : 0));
  const p = z.map((v) => sigmoid(2.5 * v));
  const t = fitTemperature(p, y);
  assert.ok(Math.abs(t - 2.5) < 0.25, `fitted T ${t}`);
  const before = summariseCalibration(p, y).expectedCalibrationError!;
  const after = summariseCalibration(
    p.map((v) => applyTemperature(v, t)),
    y,
  ).expectedCalibrationError!;
  assert.ok(after < before / 2, `ECE ${before} -> ${after}`);
  // A calibrated model keeps T near 1.
  const t1 = fitTemperature(
    z.map((v) => sigmoid(v)),
    y,
  );
  assert.ok(Math.abs(t1 - 1) < 0.12, `calibrated T ${t1}`);
});

test('temperature keeps the order and maps 0.5 to 0.5', () => {
  close(applyTemperature(0.5, 3), 0.5, 'midpoint');
  assert.ok(applyTemperature(0.9, 2) < 0.9 && applyTemperature(0.9, 2) > applyTemperature(0.8, 2));
  close(sigmoid(logit(0.3)), 0.3, 'logit round trip', 1e-12);
});
