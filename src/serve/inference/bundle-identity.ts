// Which model bundle produced a result: read from bundle.json (validated, weights present) without
// loading any model, so the service's own process never touches the engine.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BUNDLE_MANIFEST } from '../../pipeline/bundle-manifest.js';
import { readBundleManifest } from '../../pipeline/bundle.js';
import type { BundleIdentity } from './job-runner.js';

export async function bundleIdentity(dir: string): Promise<BundleIdentity> {
  const manifest = await readBundleManifest(dir);
  const bytes = await readFile(path.join(dir, BUNDLE_MANIFEST));
  return {
    id: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    version: manifest.createdAt,
    thresholds: { ...manifest.thresholds },
  };
}
