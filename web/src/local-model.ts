// pneumo's two models run in the browser by onnxruntime-web (WebAssembly, single-threaded, its .wasm
// served by `pneumo serve` under /ort/, no CDN): the service's own export of its bundle, fetched once
// with the reviewer's token, and the same steps as the server's predictor around them (the model-input
// contract of src/data/model-input.ts, the very module the server runs, then the classifier gate,
// bilinear resize of the map to the film, pixel threshold, minimum area). Nothing of the film leaves
// the page.
import * as ort from 'onnxruntime-web/wasm';
import { apiFetch } from './api.js';
import type { GrayFilm } from './local-image.js';
import { checkModelInput, modelInputBatch, type ModelInput } from '../../src/data/model-input.js';

interface ModelEntry {
  input: ModelInput;
}
interface Manifest {
  classifier: ModelEntry;
  segmenter: ModelEntry;
  thresholds: { classifier: number; pixel: number; minArea: number };
}

export interface LocalResult {
  probability: number;
  segmented: boolean;
  /** Segmenter probabilities at its output resolution (empty when not segmented). */
  map: Float32Array;
  mapWidth: number;
  mapHeight: number;
  /** At the film's resolution, 0/1 per pixel. */
  mask: Uint8Array;
  area: number;
  thresholds: Manifest['thresholds'];
  /** The classifier's input plane (the model-input contract's output, 1 x 1 x H x W). */
  classifierInput: Float32Array;
}

export interface LocalModels {
  run(film: GrayFilm): Promise<LocalResult>;
}

/** Bilinear resize with half-pixel centres (PyTorch's align_corners=False) of a [h, w] map. */
function bilinear(src: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh);
  const sx = w / ow;
  const sy = h / oh;
  for (let y = 0; y < oh; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(Math.floor(fy), h - 1);
    const y1 = Math.min(y0 + 1, h - 1);
    const ly = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(Math.floor(fx), w - 1);
      const x1 = Math.min(x0 + 1, w - 1);
      const lx = fx - x0;
      const top = src[y0 * w + x0] * (1 - lx) + src[y0 * w + x1] * lx;
      const bottom = src[y1 * w + x0] * (1 - lx) + src[y1 * w + x1] * lx;
      out[y * ow + x] = top * (1 - ly) + bottom * ly;
    }
  }
  return out;
}

function input(film: GrayFilm, entry: ModelEntry): ort.Tensor {
  const contract = checkModelInput(entry.input, 'bundle.json model input');
  return new ort.Tensor('float32', modelInputBatch([film], contract), [1, 1, contract.height, contract.width]);
}

async function session(file: string): Promise<ort.InferenceSession> {
  const bytes = new Uint8Array(await (await apiFetch(`/api/models/${file}`)).arrayBuffer());
  return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
}

/** Fetches the service's exported models and starts onnxruntime-web. */
export async function loadLocalModels(): Promise<LocalModels> {
  ort.env.wasm.wasmPaths = '/ort/';
  // One thread: several would need SharedArrayBuffer, i.e. a cross-origin-isolated page.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const manifest = (await (await apiFetch('/api/models/bundle.json')).json()) as Manifest;
  const [classifier, segmenter] = [await session('classifier.onnx'), await session('segmenter.onnx')];
  return {
    async run(film) {
      const t = manifest.thresholds;
      const classifierInput = input(film, manifest.classifier);
      const c = await classifier.run({ image: classifierInput });
      const probability = (c.probability.data as Float32Array)[0];
      const result: LocalResult = {
        probability,
        segmented: probability >= t.classifier,
        map: new Float32Array(0),
        mapWidth: 0,
        mapHeight: 0,
        mask: new Uint8Array(film.width * film.height),
        area: 0,
        thresholds: t,
        classifierInput: classifierInput.data as Float32Array,
      };
      if (!result.segmented) return result;
      const s = await segmenter.run({ image: input(film, manifest.segmenter) });
      const [, , mh, mw] = s.mask.dims;
      result.map = s.mask.data as Float32Array;
      result.mapWidth = mw;
      result.mapHeight = mh;
      const full =
        mw === film.width && mh === film.height ? result.map : bilinear(result.map, mw, mh, film.width, film.height);
      let area = 0;
      for (let i = 0; i < full.length; i++) {
        const on = full[i] > t.pixel ? 1 : 0;
        result.mask[i] = on;
        area += on;
      }
      // The minimum area counts pixels at 1024 x 1024 scale, as the server does.
      if (area * ((1024 * 1024) / (film.width * film.height)) < t.minArea) {
        result.mask.fill(0);
        area = 0;
      }
      result.area = area;
      return result;
    },
  };
}
