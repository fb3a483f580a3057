// Which model bundle produced a result: read from bundle.json (validated, weights present) without
// loading any model, so the service's own process never touches the engine.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE_MANIFEST, type OperatingPointName } from '../../pipeline/bundle-manifest.js';
import { resolveOperatingPoint } from '../../pipeline/bundle-operating-point.js';
import { readBundleManifest } from '../../pipeline/bundle.js';
import type { BundleIdentity } from './job-runner.js';

export async function bundleIdentity(dir: string, operatingPoint?: OperatingPointName): Promise<BundleIdentity> {
  const manifest = await readBundleManifest(dir);
  const bytes = await readFile(path.join(dir, BUNDLE_MANIFEST));
  return {
    id: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    version: manifest.createdAt,
    thresholds: resolveOperatingPoint(manifest, operatingPoint).thresholds,
  };
}
