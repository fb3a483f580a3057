// How a result names the model that made it: its two architectures, and pneumo's version with the
// bundle's creation time. The overlay's title band, the Secondary Capture and the SR all say this.
import type { BundleManifest } from './bundle-manifest.js';

export interface ModelIdentity {
  name: string;
  version: string;
}

export function modelIdentity(manifest: BundleManifest): ModelIdentity {
  return {
    name: `pneumo ${manifest.classifier.architecture} + ${manifest.segmenter.architecture}`,
    version: `${manifest.versions.pneumo} bundle ${manifest.createdAt}`,
  };
}
