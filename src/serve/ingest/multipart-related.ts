// multipart/related bodies (RFC 2387), as DICOMweb STOW-RS sends them: parts separated by
// `--boundary` lines, each with its own headers. The body is already in memory (bounded by the
// service's upload limit), so parts are views into it, not copies.
export interface BodyPart {
  contentType: string | null;
  body: Buffer;
}

export class MultipartError extends Error {
  override name = 'MultipartError';
}

/** A parameter of a Content-Type header (`boundary`, `type`), unquoted; null when absent. */
export function contentTypeParameter(contentType: string, name: string): string | null {
  const pattern = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i');
  const match = pattern.exec(contentType);
  return match ? (match[1] ?? match[2]) : null;
}

const CRLF = Buffer.from('\r\n');

function partHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

export function parseMultipartRelated(body: Buffer, contentType: string): BodyPart[] {
  const boundary = contentTypeParameter(contentType, 'boundary');
  if (!boundary) throw new MultipartError('multipart/related without a boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  const inner = Buffer.from(`\r\n--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('the body holds no part (boundary not found)');
  const parts: BodyPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // `--boundary--`: the end
    const lineEnd = body.indexOf(CRLF, at);
    if (lineEnd < 0) throw new MultipartError('a boundary line does not end');
    const headersStart = lineEnd + 2;
    let contentStart: number;
    let headers: Map<string, string>;
    if (body[headersStart] === 0x0d && body[headersStart + 1] === 0x0a) {
      headers = new Map();
      contentStart = headersStart + 2;
    } else {
      const headersEnd = body.indexOf('\r\n\r\n', headersStart);
      if (headersEnd < 0) throw new MultipartError(`part ${parts.length + 1}: its headers do not end`);
      headers = partHeaders(body.subarray(headersStart, headersEnd).toString('latin1'));
      contentStart = headersEnd + 4;
    }
    const next = body.indexOf(inner, contentStart);
    if (next < 0) throw new MultipartError(`part ${parts.length + 1}: no boundary after it (truncated body?)`);
    parts.push({ contentType: headers.get('content-type') ?? null, body: body.subarray(contentStart, next) });
    at = next + 2;
  }
}
