import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { epochFromJson, fromHex, hashBall, slotOfBall, toHex, userOffsets, vendorOffsets, verifyCoin } from '../src/index.ts';

const vectors = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'));
const epoch = epochFromJson(vectors.epoch);

test('published vectors: each ball digest matches SHA-256 of the documented preimage', () => {
  for (const b of vectors.balls) {
    const preimage = Buffer.concat([Buffer.from('MMv1', 'ascii'), Buffer.from(epoch.key), Buffer.from(b.x, 'hex')]);
    assert.equal(preimage.length, 52);
    assert.equal(createHash('sha256').update(preimage).digest('hex'), b.digest);
    assert.equal(toHex(hashBall(epoch.key, fromHex(b.x))), b.digest);
    const slot = slotOfBall(epoch, fromHex(b.x));
    assert.deepEqual(slot, { fixedOk: true, superbin: b.superbin, subbin: b.subbin });
  }
});

test('published vectors: offsets and the coin verify', () => {
  assert.deepEqual(userOffsets(epoch, vectors.userId), vectors.userOffsets);
  assert.deepEqual(vendorOffsets(epoch, vectors.vendorId), vectors.vendorOffsets);
  const check = verifyCoin(epoch, fromHex(vectors.coin), vectors.userId, vectors.vendorId);
  assert.deepEqual(check, {
    ok: true,
    id: vectors.coinId,
    superbins: vectors.balls.map((b: { superbin: number }) => b.superbin),
    subbins: vectors.balls.map((b: { subbin: number }) => b.subbin),
  });
});

test('PayWord-style chain vector from the design notes (SHA-256 over raw bytes)', () => {
  // w_4 = 32 zero bytes, w_(i-1) = h(w_i): the next issue's chains rest on this.
  let w = new Uint8Array(32);
  const chain = [w];
  for (let i = 0; i < 4; i++) chain.push((w = sha256(w)));
  assert.ok(toHex(chain[1]!).startsWith('66687aadf862bd77'));
  assert.ok(toHex(chain[4]!).startsWith('fe15c0d3ebe314fa'));
});

test('SHA-256 engine: noble agrees with the NIST "abc" vector', () => {
  assert.equal(toHex(sha256(new TextEncoder().encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
