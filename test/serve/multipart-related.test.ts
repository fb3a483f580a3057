import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contentTypeParameter,
  MultipartError,
  parseMultipartRelated,
} from '../../src/serve/ingest/multipart-related.js';

test('content-type parameters: quoted, bare, any case, absent', () => {
  const type = 'multipart/related; type="application/dicom"; Boundary=abc123';
  assert.equal(contentTypeParameter(type, 'type'), 'application/dicom');
  assert.equal(contentTypeParameter(type, 'boundary'), 'abc123');
  assert.equal(contentTypeParameter('multipart/related; boundary="a b"', 'boundary'), 'a b');
  assert.equal(contentTypeParameter('multipart/related', 'boundary'), null);
});

test('parts: preamble skipped, headers read, a part without headers, bytes kept exactly (CRLF inside a part too)', () => {
  const binary = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10]);
  const body = Buffer.concat([
    Buffer.from('preamble to ignore\r\n--XyZ\r\nContent-Type: application/dicom\r\nX-Other: 1\r\n\r\n'),
    binary,
    Buffer.from('\r\n--XyZ\r\n\r\nsecond\r\n--XyZ--\r\nepilogue'),
  ]);
  const parts = parseMultipartRelated(body, 'multipart/related; boundary=XyZ');
  assert.equal(parts.length, 2);
  assert.equal(parts[0].contentType, 'application/dicom');
  assert.deepEqual([...parts[0].body], [...binary]);
  assert.equal(parts[1].contentType, null);
  assert.equal(parts[1].body.toString(), 'second');
});

test('malformed bodies are one-line errors: no boundary parameter, boundary absent, truncated part', () => {
  assert.throws(() => parseMultipartRelated(Buffer.from('x'), 'multipart/related'), MultipartError);
  assert.throws(
    () => parseMultipartRelated(Buffer.from('no parts here'), 'multipart/related; boundary=b'),
    /boundary not found/,
  );
  assert.throws(
    () =>
      parseMultipartRelated(
        Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\nDICM...'),
        'multipart/related; boundary=b',
      ),
    /truncated/,
  );
});
