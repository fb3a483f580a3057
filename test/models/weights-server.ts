// A loopback HTTP server that serves weights files as a model host does: full responses, byte ranges
// (206 with Content-Range), and, on request, a connection cut after some bytes or a corrupted body.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createEncoder } from '../../src/models/encoders.js';

export interface ServedFile {
  body: Buffer;
  /** Cut the connection after this many body bytes, on the next `cuts` requests (default 1). */
  cutAfter?: number;
  cuts?: number;
  /** Serve this instead of `body` (same length), as a damaged mirror would. */
  corrupt?: Buffer;
}

export interface WeightsServer {
  url: (name: string) => string;
  files: Map<string, ServedFile>;
  /** Every request: path and Range header. */
  requests: { path: string; range: string | undefined }[];
  close: () => Promise<void>;
}

function serve(files: Map<string, ServedFile>, req: IncomingMessage, res: ServerResponse): void {
  const name = decodeURIComponent((req.url ?? '/').replace(/^\/+/, ''));
  const file = files.get(name);
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  const content = file.corrupt ?? file.body;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  if (start >= content.length && range) {
    res.writeHead(416, { 'Content-Range': `bytes */${content.length}` }).end();
    return;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': content.length - start,
    'Accept-Ranges': 'bytes',
  };
  if (range) headers['Content-Range'] = `bytes ${start}-${content.length - 1}/${content.length}`;
  res.writeHead(range ? 206 : 200, headers);
  const slice = content.subarray(start);
  if (file.cutAfter !== undefined && (file.cuts ?? 1) > 0 && file.cutAfter < slice.length) {
    file.cuts = (file.cuts ?? 1) - 1;
    res.write(slice.subarray(0, file.cutAfter), () => setTimeout(() => res.destroy(), 20));
    return;
  }
  res.end(slice);
}

export async function startWeightsServer(): Promise<WeightsServer> {
  const files = new Map<string, ServedFile>();
  const requests: WeightsServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    serve(files, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    files,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A resnet18-w16 encoder's weights as a safetensors file (DIR/w16.safetensors): its bytes and SHA-256. */
export function testEncoderWeights(dir: string): { body: Buffer; sha256: string } {
  const encoder = createEncoder('resnet18-w16', { inChannels: 3, withClassifier: true });
  const file = path.join(dir, 'w16.safetensors');
  torch.saveSafetensors(file, encoder.stateDict());
  encoder.dispose();
  const body = readFileSync(file);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/**
 * Those weights on a fresh server as the catalog entry `test-w16`, under a name checked by the first 8
 * hex digits of its SHA-256 as torchvision's are; the catalog is written to DIR/catalog.json (for
 * PNEUMO_WEIGHTS_CATALOG).
 */
export async function serveTestEncoderCatalog(
  dir: string,
): Promise<{ server: WeightsServer; catalog: string; file: string; sha256: string }> {
  const { body, sha256 } = testEncoderWeights(dir);
  const server = await startWeightsServer();
  const file = `w16-${sha256.slice(0, 8)}.safetensors`;
  server.files.set(file, { body });
  const catalog = path.join(dir, 'catalog.json');
  writeFileSync(
    catalog,
    JSON.stringify([{ name: 'test-w16', url: server.url(file), sha256, encoders: ['resnet18-w16'], inChannels: 3 }]),
  );
  return { server, catalog, file, sha256 };
}
