// What the reading room needs to run the models in the browser: GET /api/models/classifier.onnx,
// segmenter.onnx and bundle.json (read permission), the service's own bundle exported once (as
// `pneumo export` does) into the store's onnx/<bundle id>/ folder, and onnxruntime-web's WebAssembly
// runtime under /ort/ from the installed package (public, like the web app's files; no CDN).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../../project-paths.js';
import { httpError } from '../http-error.js';

const FILES: Record<string, string> = {
  'classifier.onnx': 'application/octet-stream',
  'segmenter.onnx': 'application/octet-stream',
  'bundle.json': 'application/json',
};

/** onnxruntime-web's files the single-threaded WebAssembly backend loads. */
export const ORT_WEB_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];
export const ORT_WEB_DIR = path.join(PROJECT_ROOT, 'node_modules', 'onnxruntime-web', 'dist');

export interface OnnxRoutesOptions {
  bundleDir: string;
  bundleId: string;
  storeDir: string;
}

export async function onnxModelRoutes(app: FastifyInstance, options: OnnxRoutesOptions): Promise<void> {
  const dir = path.join(options.storeDir, 'onnx', options.bundleId);
  let exported: Promise<void> | null = null;
  // Exported on first use (it loads the engine into this process once), then read from the store.
  const ensureExported = () => {
    if (existsSync(path.join(dir, 'bundle.json'))) return Promise.resolve();
    exported ??= import('../../export/export-bundle.js')
      .then(({ exportBundle }) => exportBundle(options.bundleDir, dir, { dynamicBatch: true }))
      .then(() => undefined)
      .catch((err: Error) => {
        exported = null;
        throw httpError(500, `the bundle could not be exported to ONNX: ${err.message}`);
      });
    return exported;
  };

  app.get<{ Params: { file: string } }>(
    '/api/models/:file',
    { config: { permission: 'read' } },
    async (request, reply) => {
      const type = Object.hasOwn(FILES, request.params.file) ? FILES[request.params.file] : undefined;
      if (!type) throw httpError(404, `no model file ${request.params.file} (files: ${Object.keys(FILES).join(', ')})`);
      await ensureExported();
      reply.type(type).header('Cache-Control', 'no-cache');
      return readFile(path.join(dir, request.params.file));
    },
  );

  app.get<{ Params: { file: string } }>('/ort/:file', async (request, reply) => {
    const file = request.params.file;
    if (!ORT_WEB_FILES.includes(file)) throw httpError(404, `no runtime file ${file}`);
    reply
      .type(file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript')
      .header('Cache-Control', 'public, max-age=86400');
    return readFile(path.join(ORT_WEB_DIR, file));
  });
}
