import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { BALL_BYTES, PARAMETER_SETS, PREIMAGE_BYTES, ballPreimage, hashBall, slotOfBall } from '@micromint/shared';
import { NATIVE_ADDON_PATH, nativeAvailable, nativeLoadError, nativeMintBatch, resolveKernel } from '../src/mint/native.ts';
import { jsMatcher } from '../src/mint/worker.ts';
import { hashBudget, measureMint, mintBalls } from '../src/index.ts';

const built = existsSync(NATIVE_ADDON_PATH);
// Skip only when the addon is genuinely absent; a built addon that does not load fails the tests below.
const skip = built ? false : `native mint kernel not built (${NATIVE_ADDON_PATH} absent; run \`npm rebuild @micromint/broker\`)`;

/** Runs `fn` with MICROMINT_MINT_KERNEL set to `value` (undefined: unset), restoring it afterwards. */
async function withKernelEnv<T>(value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const before = process.env.MICROMINT_MINT_KERNEL;
  if (value === undefined) delete process.env.MICROMINT_MINT_KERNEL;
  else process.env.MICROMINT_MINT_KERNEL = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.MICROMINT_MINT_KERNEL;
    else process.env.MICROMINT_MINT_KERNEL = before;
  }
}

describe('native mint kernel', () => {
  test('a built addon loads in this Node', { skip }, () => {
    assert.ok(nativeAvailable(), `the addon is built but does not load: ${String(nativeLoadError())}`);
  });

  // Shapes from t = 1 (half the balls count) to t = 16, u and v up to 12, with odd bit boundaries.
  const shapes = [
    { t: 1, u: 2, v: 3 },
    { t: 4, u: 8, v: 6 },
    { t: 6, u: 10, v: 8 },
    { t: 7, u: 12, v: 12 },
    { t: 13, u: 5, v: 11 },
    { t: 16, u: 12, v: 12 },
  ];
  for (const s of shapes) {
    test(`the same matches as the JavaScript loop: t=${s.t} u=${s.u} v=${s.v}`, { skip }, () => {
      const key = new Uint8Array(randomBytes(32));
      const balls = new Uint8Array(randomBytes(BALL_BYTES * (s.t > 8 ? 1 << 19 : 1 << 16)));
      // The fixed bits of one ball of the batch, so even t = 16 has at least one match.
      const probe = hashBall(key, balls.subarray(BALL_BYTES * 77, BALL_BYTES * 78));
      const fixed = new DataView(probe.buffer, probe.byteOffset).getUint32(0) >>> (32 - s.t);
      const shape = { ...s, fixed };
      const native = nativeMintBatch(ballPreimage(key).subarray(0, PREIMAGE_BYTES - BALL_BYTES), balls, shape);
      const js = jsMatcher(key, shape)(balls);
      assert.ok(native.length >= 2);
      assert.deepEqual(Array.from(native), Array.from(js));
      // And against the reference hash (noble) through the shared slot reader, on a sample.
      const params = { id: 'x', key, ...shape, k: 4, expiresAt: '2100-01-01T00:00:00Z' };
      for (let i = 0; i < Math.min(native.length, 200); i += 2) {
        const at = native[i]! * BALL_BYTES;
        const slot = slotOfBall(params, balls.subarray(at, at + BALL_BYTES));
        assert.ok(slot.fixedOk);
        assert.equal(slot.superbin * 2 ** s.v + slot.subbin, native[i + 1]);
      }
    });
  }

  test('bad arguments are refused; an empty batch has no matches', { skip }, () => {
    const prefix = ballPreimage(new Uint8Array(32)).subarray(0, 36);
    const shape = { t: 4, u: 8, v: 6, fixed: 3 };
    assert.equal(nativeMintBatch(prefix, new Uint8Array(0), shape).length, 0);
    assert.throws(() => nativeMintBatch(prefix.subarray(0, 35), new Uint8Array(16), shape), TypeError);
    assert.throws(() => nativeMintBatch(prefix, new Uint8Array(17), shape), TypeError);
    assert.throws(() => nativeMintBatch(prefix, new Uint8Array(16), { ...shape, t: 0 }), RangeError);
    assert.throws(() => nativeMintBatch(prefix, new Uint8Array(16), { ...shape, fixed: 16 }), RangeError);
    assert.throws(() => nativeMintBatch(prefix, new Uint8Array(16), { ...shape, u: 20, v: 13 }), RangeError);
  });

  test('a full `test` mint gives the same slots and balls with both kernels', { skip }, async () => {
    const p = PARAMETER_SETS.test;
    const o = {
      params: { ...p, fixed: 11 },
      key: new Uint8Array(32).fill(5),
      seed: new Uint8Array(16).fill(6),
      hashes: hashBudget(p, 0.9),
      workers: 2,
    };
    const native = await mintBalls({ ...o, kernel: 'native' });
    const js = await mintBalls({ ...o, kernel: 'js' });
    assert.equal(native.kernel, 'native');
    assert.equal(js.kernel, 'js');
    assert.ok(native.slots.length > 0.85 * 2 ** (p.u + p.v));
    assert.deepEqual(native.slots, js.slots);
    assert.deepEqual(native.xs, js.xs);
    assert.equal(native.ballsCounted, js.ballsCounted);
  });
});

describe('kernel choice', () => {
  test('MICROMINT_MINT_KERNEL forces a kernel; an explicit request wins; anything else is refused', async () => {
    await withKernelEnv('js', () => {
      assert.equal(resolveKernel(), 'js');
      if (nativeAvailable()) assert.equal(resolveKernel('native'), 'native');
    });
    await withKernelEnv(undefined, () => assert.equal(resolveKernel(), nativeAvailable() ? 'native' : 'js'));
    await withKernelEnv('fast', () => assert.throws(() => resolveKernel(), RangeError));
    await withKernelEnv('native', () => {
      if (nativeAvailable()) assert.equal(resolveKernel(), 'native');
      else assert.throws(() => resolveKernel(), /native mint kernel/);
    });
  });

  test('measureMint runs and reports the kernel asked for', async () => {
    const js = await measureMint({ params: PARAMETER_SETS.test, workers: 1, hashes: 50_000, kernel: 'js' });
    assert.equal(js.kernel, 'js');
    assert.ok(js.singleCore > 0);
    if (!nativeAvailable()) return;
    const native = await measureMint({ params: PARAMETER_SETS.test, workers: 1, hashes: 50_000, kernel: 'native' });
    assert.equal(native.kernel, 'native');
  });
});
