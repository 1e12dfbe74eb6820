/**
 * SHA-256's two paths give the same bytes: Node's native one (what `sha256` and `hashBall` use
 * under Node) and @noble/hashes (what the browser build uses), on the published ball preimages,
 * the FIPS 180-2 examples and random inputs of every length up to three blocks; and a host
 * without `node:crypto`'s one-shot hash gets no native path.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { ballPreimage, epochFromJson, fromHex, hashBall, setBall, sha256, toHex, utf8 } from '../src/index.ts';
import { nodeSha256 } from '../src/sha256-node.ts';

const vectors = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'));
const native = nodeSha256();

test('Node has the native path, and sha256 is it', () => {
  assert.ok(native, 'process.getBuiltinModule("node:crypto").hash is there on this Node');
  assert.notEqual(sha256, nobleSha256);
});

test('both paths: the published ball digests, through hashBall and on the preimages', () => {
  const epoch = epochFromJson(vectors.epoch);
  const pre = ballPreimage(epoch.key);
  for (const b of vectors.balls) {
    setBall(pre, fromHex(b.x));
    assert.equal(toHex(native!(pre)), b.digest);
    assert.equal(toHex(nobleSha256(pre)), b.digest);
    assert.equal(toHex(hashBall(epoch.key, fromHex(b.x))), b.digest);
  }
});

test('both paths: the FIPS 180-2 examples', () => {
  const cases: [string, string][] = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ];
  for (const [text, digest] of cases) {
    assert.equal(toHex(native!(utf8(text))), digest);
    assert.equal(toHex(nobleSha256(utf8(text))), digest);
  }
});

test('both paths: the same plain 32-byte Uint8Array for inputs of 0 to 192 bytes, views included', () => {
  const pool = new Uint8Array(randomBytes(400));
  for (let n = 0; n <= 192; n++) {
    const data = pool.subarray(n, 2 * n); // a view at an offset of a larger buffer
    const a = native!(data);
    assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
    assert.equal(a.length, 32);
    assert.deepEqual(a, nobleSha256(data));
  }
});

test('hashBall gives every call its own array (its preimage buffer is shared, its digests are not)', () => {
  const key = new Uint8Array(32).fill(9);
  const first = hashBall(key, new Uint8Array(16).fill(1));
  const copy = first.slice();
  const second = hashBall(key, new Uint8Array(16).fill(2));
  assert.deepEqual(first, copy);
  assert.notDeepEqual(first, second);
  assert.throws(() => hashBall(new Uint8Array(31), new Uint8Array(16)), RangeError);
  assert.throws(() => hashBall(key, new Uint8Array(15)), RangeError);
});

test('a host without node:crypto, or whose lookup refuses, has no native path', () => {
  assert.equal(nodeSha256({}), undefined);
  assert.equal(nodeSha256({ process: {} }), undefined);
  assert.equal(nodeSha256({ process: { getBuiltinModule: () => undefined } }), undefined);
  assert.equal(nodeSha256({ process: { getBuiltinModule: () => ({ createHash() {} }) } }), undefined);
  const refusing = {
    process: {
      getBuiltinModule: () => {
        throw new Error('not here');
      },
    },
  };
  assert.equal(nodeSha256(refusing), undefined);
});
