/**
 * Writes docs/test-vectors.json: a small epoch, user and vendor offsets, and one coin whose every
 * step a third party can check by hand (or with `sha256sum`). Run: `npx tsx shared/scripts/make-vectors.ts`.
 * The balls are found by brute force with Node's SHA-256, an implementation independent of the code under test.
 */
import { hash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ballPreimage, epochToJson, PARAMETER_SETS, positions, setBall, slotOfDigest, toHex, userOffsets, vendorOffsets, type EpochParams } from '../src/index.ts';

const key = Uint8Array.from({ length: 32 }, (_, i) => i); // 00 01 02 ... 1f
const epoch: EpochParams = { id: 'vectors-1', key, ...PARAMETER_SETS.test, fixed: 0b1010, expiresAt: '2100-01-01T00:00:00.000Z' };
const userId = 'u_0123456789abcdef';
const vendorId = 'https://shop.example';
const uh = userOffsets(epoch, userId);
const vh = vendorOffsets(epoch, vendorId);
const superbins = positions(17, uh, epoch.u);
const subbins = positions(5, vh, epoch.v);

/** The first ball x = 8 zero bytes || uint64be(counter) that lands in (superbin, subbin). */
function findBall(superbin: number, subbin: number): { x: string; digest: string; counter: number } {
  const pre = ballPreimage(key);
  const x = new Uint8Array(16);
  const view = new DataView(x.buffer);
  for (let counter = 0; ; counter++) {
    view.setBigUint64(8, BigInt(counter));
    setBall(pre, x);
    const digest = new Uint8Array(hash('sha256', pre, 'buffer'));
    const slot = slotOfDigest(epoch, digest);
    if (slot.fixedOk && slot.superbin === superbin && slot.subbin === subbin)
      return { x: toHex(x), digest: toHex(digest), counter };
  }
}

const balls = superbins.map((sb, i) => ({ superbin: sb, subbin: subbins[i]!, ...findBall(sb, subbins[i]!) }));
const vectors = {
  description: 'MicroMint-1.0 test vectors: see docs/test-vectors.md for how to check them by hand.',
  epoch: epochToJson(epoch),
  preimage: 'ASCII "MMv1" || key || x (52 bytes); digest = SHA-256(preimage); bits read most significant first',
  userId,
  userOffsets: uh,
  vendorId,
  vendorOffsets: vh,
  firstSuperbin: 17,
  firstSubbin: 5,
  balls,
  coin: balls.map((b) => b.x).join(''),
  coinId: balls[0]!.x,
};
const out = fileURLToPath(new URL('../../docs/test-vectors.json', import.meta.url));
writeFileSync(out, JSON.stringify(vectors, null, 2) + '\n');
console.log(`wrote ${out}`);
