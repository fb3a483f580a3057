// The learned gate's file in the bundle (BUNDLE/gate.safetensors): the distance model of ood-distance.ts
// as tensors, with its method and settings in the safetensors metadata. bundle.json names it with its
// SHA-256 (BundleGate); this is its one reader and writer.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { BundleError, type BundleGate } from './bundle-manifest.js';
import { FEATURE_TRANSFORMS, type FeatureTransform, type OodModel } from './ood-distance.js';

export const GATE_FILE = 'gate.safetensors';
const FORMAT = 'pneumo.gate/1';

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Writes the model to DIR/gate.safetensors; returns the file name and its SHA-256. */
export function writeGateFile(dir: string, model: OodModel): { file: string; sha256: string } {
  const file = path.join(dir, GATE_FILE);
  torch.scope(() => {
    const tensors =
      model.method === 'mahalanobis'
        ? new Map([
            ['mean', torch.tensor(model.mean, [model.dim])],
            ['precision', torch.tensor(model.precision, [model.dim, model.dim])],
          ])
        : new Map([['bank', torch.tensor(model.bank, [model.bank.length / model.dim, model.dim])]]);
    const metadata: Record<string, string> = {
      format: FORMAT,
      method: model.method,
      dim: String(model.dim),
      transform: model.transform,
    };
    if (model.method === 'mahalanobis') metadata.shrinkage = String(model.shrinkage);
    else metadata.k = String(model.k);
    torch.saveSafetensors(file, tensors, metadata);
  });
  return { file: GATE_FILE, sha256: sha256Of(file) };
}

/** Reads the gate file bundle.json names, checking its digest and its agreement with the entry. */
export function readGateFile(dir: string, entry: BundleGate): OodModel {
  const file = path.join(dir, entry.file);
  let digest: string;
  try {
    digest = sha256Of(file);
  } catch {
    throw new BundleError(dir, [`${entry.file} is missing (bundle.json names it as the input gate)`]);
  }
  if (digest !== entry.sha256)
    throw new BundleError(dir, [`${entry.file} does not match the SHA-256 in bundle.json (changed after bundling?)`]);
  const { tensors, metadata } = torch.loadSafetensorsWithMetadata(file);
  try {
    const dim = Number(metadata?.dim);
    const data = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`no tensor ${name}`);
      if (t.dtype !== 'float64') throw new Error(`${name} is ${t.dtype}`);
      return Float64Array.from(t.data() as Float64Array);
    };
    const transform = metadata?.transform as FeatureTransform;
    if (metadata?.format !== FORMAT || metadata.method !== entry.method || !(dim > 0)) throw new Error('metadata');
    if (!FEATURE_TRANSFORMS.includes(transform)) throw new Error('transform');
    if (entry.method === 'mahalanobis') {
      const model: OodModel = {
        method: 'mahalanobis',
        dim,
        transform,
        mean: data('mean'),
        precision: data('precision'),
        shrinkage: Number(metadata.shrinkage),
      };
      if (model.mean.length !== dim || model.precision.length !== dim * dim) throw new Error('shape');
      return model;
    }
    const model: OodModel = { method: 'knn', dim, transform, k: Number(metadata.k), bank: data('bank') };
    if (model.bank.length % dim !== 0 || !(model.k >= 1)) throw new Error('shape');
    return model;
  } catch {
    throw new BundleError(dir, [`${entry.file} is not a ${FORMAT} file of method ${entry.method}`]);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
