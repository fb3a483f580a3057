// The demo's default plan must reach its own targets: the figures the README and the report promise
// are measured here, on the independent test set at the bundle's frozen thresholds. This is the
// longest test of the suite (a few minutes on 2 cores): it is the only one that shows the recipe
// learns to the demo's level.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../../src/demo/run-demo.js';
import { demoPlan } from '../../src/demo/demo-plan.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-demo-targets-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the default demo plan meets every one of its targets', async () => {
  const plan = demoPlan('small');
  assert.ok(plan.targets, 'the default plan has targets');
  const result = await runDemo({ out: path.join(root, 'demo'), plan, seed: 1 });
  assert.deepEqual(result.failures, []);
  assert.ok(result.targets.length >= 3);
  for (const t of result.targets) assert.ok(t.met, `${t.name}: ${t.value}, target ${t.target}`);
});
