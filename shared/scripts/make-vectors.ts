/**
 * Writes docs/test-vectors.json: a small epoch, user and vendor offsets, and one coin whose every
 * step a third party can check by hand (or with `sha256sum`). Run: `npx tsx shared/scripts/make-vectors.ts`.
 * The balls are found by brute force with Node's SHA-256, an implementation independent of the code under test.
 */
import { hash } from 'node:crypto';
import { deepStrictEqual } from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ballPreimage,
  deriveOffsets,
  epochToJson,
  micromintNetwork,
  PARAMETER_SETS,
  positions,
  setBall,
  slotOfDigest,
  toHex,
  userOffsets,
  vendorOffsets,
  type EpochParams,
  type OffsetRole,
} from '../src/index.ts';

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
    if (slot.fixedOk && slot.superbin === superbin && slot.subbin === subbin) return { x: toHex(x), digest: toHex(digest), counter };
  }
}

/**
 * Every draw of docs/protocol.md section 3 for `id`, up to and including the first one kept, with Node's
 * SHA-256: preimage, digest, the k-1 offsets (words 0..k-2, big-endian, mod 2^bits) and their partial sums.
 * Checked against the code's deriveOffsets before it is written.
 */
function offsetDerivation(role: OffsetRole, id: string, bits: number) {
  const draws = [];
  for (let counter = 0; ; counter++) {
    const ctr = Buffer.alloc(4);
    ctr.writeUInt32BE(counter);
    const preimage = Buffer.concat([Buffer.from(`MMv1/${role}-offsets`, 'ascii'), Buffer.from([0]), ctr, Buffer.from(id, 'utf8')]);
    const digest = hash('sha256', preimage, 'buffer');
    const offsets = Array.from({ length: epoch.k - 1 }, (_, i) => digest.readUInt32BE(4 * i) % 2 ** bits);
    const partialSums: number[] = [];
    for (const o of offsets) partialSums.push(((partialSums.at(-1) ?? 0) + o) % 2 ** bits);
    const kept = new Set([0, ...partialSums]).size === epoch.k;
    draws.push({ counter, preimage: preimage.toString('hex'), digest: digest.toString('hex'), offsets, partialSums, kept });
    if (kept) {
      deepStrictEqual(offsets, deriveOffsets(role, id, epoch.k, bits), `offsets of ${role} ${id}`);
      return { role, id, bits, k: epoch.k, offsets, draws };
    }
  }
}

/** The first identity `name(0)`, `name(1)`, ... whose offsets take at least `draws` draws. */
function rejected(role: OffsetRole, name: (n: number) => string, bits: number, draws: number) {
  for (let n = 0; ; n++) {
    const d = offsetDerivation(role, name(n), bits);
    if (d.draws.length >= draws) return d;
  }
}

const offsetDerivations = [
  offsetDerivation('user', userId, epoch.u),
  offsetDerivation('vendor', vendorId, epoch.v),
  // Identities whose first draws are rejected, so that an implementation without the rejection rule fails.
  rejected('user', (n) => `u_${n.toString(16).padStart(16, '0')}`, epoch.u, 2),
  rejected('vendor', (n) => `https://shop${n}.example`, epoch.v, 4),
];

/**
 * The network id of docs/protocol.md section 9 for `broker`, with Node's SHA-256 and base64url:
 * "mmint:" || base64url(SHA-256("MMv1/network" || 0x00 || utf8(origin))[0 .. 15]). Checked against the code.
 */
function networkVector(broker: string) {
  const origin = new URL(broker).origin;
  const preimage = Buffer.concat([Buffer.from('MMv1/network', 'ascii'), Buffer.from([0]), Buffer.from(origin, 'utf8')]);
  const digest = hash('sha256', preimage, 'buffer');
  const network = `mmint:${digest.subarray(0, 16).toString('base64url')}`;
  deepStrictEqual(network, micromintNetwork(broker), `network of ${broker}`);
  return { broker, origin, preimage: preimage.toString('hex'), digest: digest.toString('hex'), network };
}

// The demo broker, a public one, and URLs whose origin is not written as given (case, default port, path, IDN, IPv6).
const networks = [
  'http://127.0.0.1:4000',
  'https://broker.example',
  'HTTPS://Broker.Example:443/mint/',
  'https://bröker.example',
  'http://[::1]:4000',
].map(networkVector);

const balls = superbins.map((sb, i) => ({ superbin: sb, subbin: subbins[i]!, ...findBall(sb, subbins[i]!) }));
const vectors = {
  description: 'MicroMint-1.0 test vectors: see docs/test-vectors.md for how to check them by hand.',
  epoch: epochToJson(epoch),
  preimage: 'ASCII "MMv1" || key || x (52 bytes); digest = SHA-256(preimage); bits read most significant first',
  userId,
  userOffsets: uh,
  vendorId,
  vendorOffsets: vh,
  offsetDerivations,
  firstSuperbin: 17,
  firstSubbin: 5,
  balls,
  coin: balls.map((b) => b.x).join(''),
  coinId: balls[0]!.x,
  networks,
};
const out = fileURLToPath(new URL('../../docs/test-vectors.json', import.meta.url));
writeFileSync(out, JSON.stringify(vectors, null, 2) + '\n');
console.log(`wrote ${out}`);
