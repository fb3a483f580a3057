import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packBits, unpackBits } from '../../src/interop/bit-pack.js';
import { isValidUid, nameUid, newUid } from '../../src/interop/uid.js';

test('bits are packed first pixel in the lowest bit, padded to an even length, and unpack to the same pixels', () => {
  assert.deepEqual([...packBits(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 1, 1]))], [0x81, 0x01]);
  assert.deepEqual([...packBits(Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))], [2, 0, 1, 0]);
  for (const length of [1, 7, 8, 9, 63, 64, 65, 1001]) {
    const pixels = Uint8Array.from({ length }, (_, i) => ((i * 7919) % 5 < 2 ? 1 : 0));
    const packed = packBits(pixels);
    assert.equal(packed.length % 2, 0);
    assert.equal(packed.length, Math.ceil(length / 8) + (Math.ceil(length / 8) % 2));
    assert.deepEqual(unpackBits(packed, length), pixels);
  }
  assert.throws(() => unpackBits(new Uint8Array(2), 17), /hold 16 pixels, 17 needed/);
});

test('UIDs: new ones are valid and distinct; name UIDs are valid, stable and differ by name', () => {
  const uids = Array.from({ length: 100 }, newUid);
  assert.equal(new Set(uids).size, 100);
  for (const uid of [...uids, nameUid('a'), nameUid('b')]) {
    assert.ok(isValidUid(uid), uid);
    assert.match(uid, /^2\.25\.[1-9]\d*$/);
    assert.ok(uid.length <= 44);
  }
  assert.equal(nameUid('pneumo device x'), nameUid('pneumo device x'));
  assert.notEqual(nameUid('a'), nameUid('b'));
  assert.equal(isValidUid('1.2.03'), false, 'no leading zeros');
  assert.equal(isValidUid('1.2.'), false);
});
