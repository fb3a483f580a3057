import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contentTypeParameter,
  decodeMultipart,
  encodeMultipart,
  MultipartError,
  type Part,
} from '../../src/interop/dicomweb/multipart.js';

test('content-type parameters: quoted, bare, any case, absent', () => {
  const type = 'multipart/related; type="application/dicom"; Boundary=abc123';
  assert.equal(contentTypeParameter(type, 'type'), 'application/dicom');
  assert.equal(contentTypeParameter(type, 'boundary'), 'abc123');
  assert.equal(contentTypeParameter('multipart/related; boundary="a b"', 'boundary'), 'a b');
  assert.equal(contentTypeParameter('multipart/related', 'boundary'), undefined);
});

test('parts: preamble skipped, headers read, a part without headers, bytes kept exactly (CRLF inside a part too)', () => {
  const binary = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10]);
  const body = Buffer.concat([
    Buffer.from('preamble to ignore\r\n--XyZ\r\nContent-Type: application/dicom\r\nX-Other: 1\r\n\r\n'),
    binary,
    Buffer.from('\r\n--XyZ\r\n\r\nsecond\r\n--XyZ--\r\nepilogue'),
  ]);
  const parts = decodeMultipart(body, 'multipart/related; boundary=XyZ');
  assert.equal(parts.length, 2);
  assert.equal(parts[0].headers['content-type'], 'application/dicom');
  assert.equal(parts[0].headers['x-other'], '1');
  assert.deepEqual([...parts[0].body], [...binary]);
  assert.deepEqual(parts[1].headers, {});
  assert.equal(Buffer.from(parts[1].body).toString(), 'second');
});

test('malformed bodies are one-line errors: no boundary parameter, boundary absent, truncated part', () => {
  assert.throws(() => decodeMultipart(Buffer.from('x'), 'multipart/related'), MultipartError);
  assert.throws(
    () => decodeMultipart(Buffer.from('no parts here'), 'multipart/related; boundary=b'),
    /boundary not found/,
  );
  assert.throws(
    () =>
      decodeMultipart(
        Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\nDICM...'),
        'multipart/related; boundary=b',
      ),
    /truncated/,
  );
});

test('what encodeMultipart writes, decodeMultipart reads back: the STOW-RS requests of the client and the uploads of the service', () => {
  const parts: Part[] = [
    { headers: { 'Content-Type': 'application/dicom' }, body: Uint8Array.from([0, 13, 10, 45, 45, 1]) },
    { headers: { 'Content-Type': 'application/dicom', 'Content-Location': 'x' }, body: new Uint8Array(0) },
  ];
  const body = encodeMultipart(parts, 'pneumo-b');
  const back = decodeMultipart(body, 'multipart/related; type="application/dicom"; boundary=pneumo-b');
  assert.deepEqual(
    back.map((p) => [p.headers['content-type'], p.headers['content-location'], [...p.body]]),
    [
      ['application/dicom', undefined, [0, 13, 10, 45, 45, 1]],
      ['application/dicom', 'x', []],
    ],
  );
});
