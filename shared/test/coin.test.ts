import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  buildCoin,
  coinId,
  coinStarts,
  coinVerifier,
  concat,
  decodeSets,
  deriveOffsets,
  encodeSets,
  positions,
  readBits,
  userOffsets,
  validateParams,
  vendorOffsets,
  verifyCoin,
  type SuperbinSet,
} from '../src/index.ts';
import { mintSlots, setFromSlots, testEpoch } from '../src/testing.ts';

const p = testEpoch();
const userId = 'u_00000000000000aa';
const vendorId = 'http://127.0.0.1:4001';
let slots: Map<number, Uint8Array>;
let set: SuperbinSet;

before(() => {
  slots = mintSlots(p);
  set = setFromSlots(p, slots, userId, 3);
});

describe('bits and params', () => {
  test('readBits reads most significant bit first, across bytes', () => {
    const b = new Uint8Array([0b1010_0001, 0b0001_0111, 0xff]);
    assert.equal(readBits(b, 0, 4), 0b1010);
    assert.equal(readBits(b, 4, 8), 0b0001_0001);
    assert.equal(readBits(b, 12, 6), 0b0111_11);
    assert.equal(readBits(b, 0, 0), 0);
  });
  test('validateParams rejects wrong types and ranges with the right error class', () => {
    assert.throws(() => validateParams({ ...p, t: 1.5 }), TypeError);
    assert.throws(() => validateParams({ ...p, t: 0 }), RangeError);
    assert.throws(() => validateParams({ ...p, key: new Uint8Array(31) }), RangeError);
    assert.throws(() => validateParams({ ...p, key: 'x' as never }), TypeError);
    assert.throws(() => validateParams({ ...p, fixed: 16 }), RangeError);
    assert.throws(() => validateParams({ ...p, id: 'bad id' }), RangeError);
    assert.throws(() => validateParams({ ...p, expiresAt: 'soon' }), RangeError);
  });
});

describe('offsets', () => {
  test('partial sums are distinct and non-zero, even where rejection is common', () => {
    for (let i = 0; i < 200; i++) {
      const o = deriveOffsets('user', `u${i}`, 4, 2); // 4 roles in 4 bins: most draws are rejected
      const sums = positions(0, o, 2);
      assert.equal(new Set(sums).size, 4, `u${i}: ${sums}`);
    }
  });
  test('are deterministic and differ by role', () => {
    assert.deepEqual(userOffsets(p, userId), userOffsets(p, userId));
    assert.notDeepEqual(deriveOffsets('user', 'x', 4, 16), deriveOffsets('vendor', 'x', 4, 16));
  });
  test('reject impossible shapes and bad input', () => {
    assert.throws(() => deriveOffsets('user', 'x', 8, 2), RangeError);
    assert.throws(() => deriveOffsets('user', '', 4, 8), RangeError);
    assert.throws(() => deriveOffsets('user', 7 as never, 4, 8), TypeError);
    assert.throws(() => deriveOffsets('admin' as never, 'x', 4, 8), RangeError);
  });
  test('positions wrap mod 2^bits', () => assert.deepEqual(positions(1020, [3, 5, 7], 10), [1020, 1023, 4, 11]));
});

describe('coins', () => {
  test('a coin built for a vendor verifies for that user and vendor only', () => {
    const vh = vendorOffsets(p, vendorId);
    const starts = coinStarts(p, set, vh);
    assert.ok(starts.length > 20, `expected many coins, got ${starts.length}`);
    const coin = buildCoin(p, set, vh, starts[0]!)!;
    const ok = verifyCoin(p, coin, userId, vendorId);
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && ok.id, coinId(coin));
    assert.deepEqual(verifyCoin(p, coin, 'u_someoneelse0000', vendorId), { ok: false, reason: 'wrong-user' });
    assert.deepEqual(verifyCoin(p, coin, userId, 'http://other.example'), { ok: false, reason: 'wrong-vendor' });
    assert.deepEqual(coinVerifier(p, vendorId)(coin, userId).ok, true);
  });
  test('every coin start completes a coin, and every other first ball does not', () => {
    const vh = vendorOffsets(p, vendorId);
    const starts = new Set(coinStarts(p, set, vh));
    for (const s1 of set.balls[0]!.keys()) assert.equal(buildCoin(p, set, vh, s1) !== null, starts.has(s1));
  });
  test('malformed, duplicate and non-counting balls are refused', () => {
    const vh = vendorOffsets(p, vendorId);
    const coin = buildCoin(p, set, vh, coinStarts(p, set, vh)[0]!)!;
    assert.deepEqual(verifyCoin(p, coin.subarray(1), userId, vendorId), { ok: false, reason: 'malformed' });
    const first = coin.subarray(0, 16);
    assert.deepEqual(verifyCoin(p, concat(first, first, first, first), userId, vendorId), { ok: false, reason: 'duplicate-ball' });
    const junk = coin.slice();
    junk[0]! ^= 0xff;
    const r = verifyCoin(p, junk, userId, vendorId);
    assert.equal(r.ok, false);
  });
});

describe('superbin set encoding', () => {
  test('round-trips and checks every ball', () => {
    const data = encodeSets(p, [set]);
    const [back] = decodeSets(p, userId, data);
    assert.deepEqual(back!.superbins, set.superbins);
    assert.deepEqual(
      [...back!.balls[2]!.keys()],
      [...set.balls[2]!.keys()].sort((a, b) => a - b),
    );
  });
  test('refuses a tampered ball, a truncated block and another user', () => {
    const data = encodeSets(p, [set]);
    const tampered = data.slice();
    tampered[data.length - 1]! ^= 1;
    assert.throws(() => decodeSets(p, userId, tampered), RangeError);
    assert.throws(() => decodeSets(p, userId, data.subarray(0, data.length - 3)), /truncated/);
    assert.throws(() => decodeSets(p, 'u_someoneelse0000', data), RangeError);
  });
});
