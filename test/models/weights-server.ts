// A loopback HTTP server that serves weights files as a model host does: full responses, byte ranges
// (206 with Content-Range), and, on request, a connection cut after some bytes or a corrupted body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
