import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chaikin, PolarShape, type Point } from '../../../src/data/synth/polar-shape.js';

function shoelace(points: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i],
      b = points[(i + 1) % points.length];
    sum += a.x * b.y - b.x * a.y;
  }
  return Math.abs(sum) / 2;
}

const square: Point[] = [
  { x: 0.3, y: 0.3 },
  { x: 0.7, y: 0.3 },
  { x: 0.7, y: 0.7 },
  { x: 0.3, y: 0.7 },
];

test('a square seen from its centre: radius, inside test and area', () => {
  const shape = PolarShape.fromPolygon(square, { x: 0.5, y: 0.5 });
  assert.ok(Math.abs(shape.radiusAt(0) - 0.2) < 1e-9);
  assert.ok(Math.abs(shape.radiusAt(Math.PI / 4) - 0.2 * Math.SQRT2) < 1e-3);
  assert.ok(Math.abs(shape.radiusAt(-Math.PI / 2) - 0.2) < 1e-9);
  assert.ok(shape.depthOf(0.5, 0.5) > 0.99);
  assert.ok(shape.depthOf(0.69, 0.69) > 0);
  assert.ok(shape.depthOf(0.71, 0.5) < 0);
  assert.ok(Math.abs(shape.area() - 0.16) < 1e-3);
  const b = shape.bounds();
  assert.ok(Math.abs(b.x0 - 0.3) < 1e-3 && Math.abs(b.y1 - 0.7) < 1e-3);
});

test('a rounded polygon keeps the shoelace area of its outline and stays inside the original', () => {
  const rounded = chaikin(square, 3);
  const shape = PolarShape.fromPolygon(rounded, { x: 0.5, y: 0.5 });
  assert.ok(Math.abs(shape.area() - shoelace(rounded)) < 2e-4, `${shape.area()} vs ${shoelace(rounded)}`);
  assert.ok(shoelace(rounded) < 0.16);
  for (const p of rounded) assert.ok(p.x >= 0.3 && p.x <= 0.7 && p.y >= 0.3 && p.y <= 0.7);
});
