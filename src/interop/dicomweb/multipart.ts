// multipart/related bodies (RFC 2387), as DICOMweb uses them: WADO-RS answers with one part per
// instance, STOW-RS takes one (the client's requests and the service's uploads alike). Bodies are
// binary (DICOM files), so parts are found by byte search, never by decoding the body as text; a
// part's body is a view into the body it came from, not a copy (uploads are large).
import { randomBytes } from 'node:crypto';

export interface Part {
  headers: Record<string, string>;
  body: Uint8Array;
}

export class MultipartError extends Error {
  override name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');

export function newBoundary(): string {
  return `pneumo-${randomBytes(12).toString('hex')}`;
}

/** One parameter of a Content-Type header value (`boundary`, `type`), unquoted; undefined when absent. */
export function contentTypeParameter(contentType: string, name: string): string | undefined {
  for (const piece of contentType.split(';').slice(1)) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    if (piece.slice(0, eq).trim().toLowerCase() !== name.toLowerCase()) continue;
    const value = piece.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

export function encodeMultipart(parts: readonly Part[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const headers = Object.entries(part.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    chunks.push(Buffer.from(`--${boundary}\r\n${headers}\r\n`), Buffer.from(part.body), CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The parts of a multipart body; `contentType` is the response's Content-Type, which names the boundary. */
export function decodeMultipart(body: Uint8Array, contentType: string): Part[] {
  const boundary = contentTypeParameter(contentType, 'boundary');
  if (!boundary) throw new MultipartError(`no boundary in the content type "${contentType}"`);
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const inner = Buffer.concat([CRLF, delimiter]);
  const parts: Part[] = [];
  let at = bytes.indexOf(delimiter);
  if (at < 0) throw new MultipartError('the body holds no part (boundary not found)');
  for (;;) {
    let start = at + delimiter.length;
    if (bytes[start] === 0x2d && bytes[start + 1] === 0x2d) return parts; // closing "--"
    start = bytes.indexOf(CRLF, start);
    if (start < 0) throw new MultipartError('a part delimiter is not followed by a line end');
    start += 2;
    // A part without headers starts with the empty line itself.
    const headerEnd = bytes[start] === 0x0d && bytes[start + 1] === 0x0a ? start - 2 : bytes.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) throw new MultipartError(`part ${parts.length + 1}: its headers do not end`);
    const next = bytes.indexOf(inner, headerEnd + 4);
    if (next < 0) throw new MultipartError(`part ${parts.length + 1}: no boundary after it (truncated body?)`);
    const content = bytes.subarray(headerEnd + 4, next);
    parts.push({
      headers: parseHeaders(bytes.subarray(start, Math.max(start, headerEnd)).toString('latin1')),
      body: new Uint8Array(content.buffer, content.byteOffset, content.length),
    });
    at = next + 2;
  }
}
