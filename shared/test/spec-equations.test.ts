/**
 * The equations of docs/protocol.md that a third party implements, written out again here from the
 * spec's own text (Node's SHA-256, BigInt and Buffer; none of the shared code), and checked against
 * docs/test-vectors.json and against what @micromint/shared computes.
 *
 * Each equation is quoted below as the spec writes it, and the first test checks that the spec
 * still says exactly that: a change to the spec's text or to the code that is not made to both
 * (and to this file) fails here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { coinId, verifyCoin } from '../src/coin.ts';
import { hashBall, slotOfDigest } from '../src/hash.ts';
import { MessageError } from '../src/message.ts';
import {
  decodeFundsWithdrawn,
  decodeInvalidPayment,
  decodePayment,
  decodeRequestCredit,
  decodeRequestPayment,
  encodeFundsWithdrawn,
  encodeRequestCredit,
} from '../src/messages.ts';
import { deriveOffsets, userOffsets, vendorOffsets, type OffsetRole } from '../src/offsets.ts';
import { epochFromJson, type EpochParams } from '../src/params.ts';
import { decodeSets, encodeSets, setSuperbins, type SuperbinSet } from '../src/superbin-set.ts';
import { mintSlots } from '../src/testing.ts';
import { isCaip2Network, micromintNetwork } from '../src/network.ts';

const spec = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const vectors = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'));
const epoch = epochFromJson(vectors.epoch);

/** The equations and rules this file implements, as docs/protocol.md words them (white space aside). */
const QUOTED = {
  '2 digest': 'digest = SHA-256( "MMv1" || K_e || x )',
  '2 tag': '"MMv1" is the 4 ASCII bytes `4d 4d 76 31`, K_e the 32 key bytes, x the 16 ball bytes',
  '2 D': 'Let D be the digest read as an unsigned 256-bit big-endian integer',
  '2 F': 'F = floor(D / 2^(256-t))',
  '2 S': 'S = floor(D / 2^(256-t-u)) mod 2^u',
  '2 s': 's = floor(D / 2^(256-t-u-v)) mod 2^v',
  '2 counts': 'A hash counts as a ball only when F = fixed',
  '3 counter': 'c = 0, 1, 2, ..., 65535',
  '3 draw': 'd_c = SHA-256( T_r || 0x00 || uint32be(c) || utf8(id) )',
  '3 offsets': 'o_(i+1) = uint32be( d_c[4i .. 4i+3] ) mod 2^bits, i = 0 .. k-2',
  '3 tags': 'T_user is the 17 ASCII bytes `MMv1/user-offsets`, T_vendor the 19 ASCII bytes `MMv1/vendor-offsets`',
  '3 words': 'o_1 comes from digest bytes 0-3, o_2 from bytes 4-7',
  '3 sums': 'P_0 = 0, P_j = (P_(j-1) + o_j) mod 2^bits, j = 1 .. k-1',
  '3 rule': 'the draw is kept only when P_0, P_1, ..., P_(k-1) are pairwise distinct',
  '3 first': 'The offsets are those of the first draw kept.',
  '4 steps': 'sb_(i+1) = (sb_i + uh_i) mod 2^u, i = 1 .. k-1',
  '5 steps': 's_(i+1) = (s_i + vh_i) mod 2^v, i = 1 .. k-1',
  '5 encoding': 'A coin is its k balls concatenated, x_1 first: 16k bytes',
  '5 id': '`coinId` = 32 lower-case hex digits of x_1',
  '8 set': 'uint32be(sb_1) || B_1 || X_1 || B_2 || X_2 || ... || B_k || X_k',
  '8 bitmap': 'B_i is a bitmap of 2^v bits (2^(v-3) bytes) over the sub-bins of sb_i: bit s is bit 7 - (s mod 8) of byte floor(s/8)',
  '8 balls': 'X_i is the 16-byte balls of the set bits, in increasing s',
  '9 network': 'network = "mmint:" || base64url( SHA-256( T_net || 0x00 || utf8(origin) )[0 .. 15] )',
  '9 tag': '`T_net` is the 12 ASCII bytes `MMv1/network` (`4d4d76312f6e6574776f726b`)',
  '9 base64url': 'base64url is RFC 4648 section 5 without padding, so the reference is 22 characters',
  '9 caip2': 'a namespace of 3 to 8 characters of `[-a-z0-9]`, a reference of 1 to 32 characters of `[-_a-zA-Z0-9]`',
  '9 demo': 'The demo broker `http://127.0.0.1:4000` is `mmint:NWIRckqguyNuoqZ71xyOgw`',
} as const;

const squash = (text: string): string => text.replace(/\s+/g, ' ');
const section = (n: number): string => {
  const m = new RegExp(`^## ${n}\\. [\\s\\S]*?(?=^## )`, 'm').exec(spec);
  assert.ok(m, `docs/protocol.md has a section ${n}`);
  return m[0];
};

// ---------------------------------------------------------------------------------------------
// The spec's equations, written out independently.

const sha256 = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

type Shape = Pick<EpochParams, 't' | 'u' | 'v'>;

/** Section 2: digest = SHA-256("MMv1" || K_e || x). */
function specDigest(key: Uint8Array, x: Uint8Array): Buffer {
  const pre = Buffer.concat([Buffer.from([0x4d, 0x4d, 0x76, 0x31]), key, x]);
  assert.equal(pre.length, 52);
  return sha256(pre);
}

/** Section 2: F, S and s of a digest, by integer division of D. */
function specFields(p: Shape, digest: Uint8Array): { F: number; S: number; s: number } {
  assert.equal(digest.length, 32);
  const D = BigInt(`0x${hex(digest)}`);
  const two = (e: number): bigint => 2n ** BigInt(e);
  return {
    F: Number(D / two(256 - p.t)),
    S: Number((D / two(256 - p.t - p.u)) % two(p.u)),
    s: Number((D / two(256 - p.t - p.u - p.v)) % two(p.v)),
  };
}

interface Draw {
  counter: number;
  preimage: string;
  digest: string;
  offsets: number[];
  partialSums: number[];
  kept: boolean;
}

/** Section 3: one draw d_c, its offsets o_1..o_(k-1) (words 0..k-2) and the rejection rule. */
function specDraw(role: OffsetRole, id: string, c: number, k: number, bits: number): Draw {
  const tag = Buffer.from(`MMv1/${role}-offsets`, 'ascii');
  assert.equal(tag.length, role === 'user' ? 17 : 19);
  const ctr = Buffer.alloc(4);
  ctr.writeUInt32BE(c);
  const preimage = Buffer.concat([tag, Buffer.from([0x00]), ctr, Buffer.from(id, 'utf8')]);
  const d = sha256(preimage);
  const offsets: number[] = [];
  for (let i = 0; i <= k - 2; i++) offsets.push(d.readUInt32BE(4 * i) % 2 ** bits);
  const P = [0];
  for (let j = 1; j <= k - 1; j++) P.push((P[j - 1]! + offsets[j - 1]!) % 2 ** bits);
  const kept = new Set(P).size === P.length;
  return { counter: c, preimage: hex(preimage), digest: hex(d), offsets, partialSums: P.slice(1), kept };
}

/** Section 3: every draw up to the first one kept. */
function specOffsets(role: OffsetRole, id: string, k: number, bits: number): { offsets: number[]; draws: Draw[] } {
  const draws: Draw[] = [];
  for (let c = 0; c <= 65535; c++) {
    const d = specDraw(role, id, c, k, bits);
    draws.push(d);
    if (d.kept) return { offsets: d.offsets, draws };
  }
  throw new Error(`${role} ${id} has no offsets`);
}

/** Sections 4 and 5: b_1 = first, b_(i+1) = (b_i + o_i) mod 2^bits. */
function specSteps(first: number, offsets: readonly number[], bits: number): number[] {
  const out = [first];
  for (let i = 1; i <= offsets.length; i++) out.push((out[i - 1]! + offsets[i - 1]!) % 2 ** bits);
  return out;
}

/** Section 6, the coin check, in the spec's order. */
function specCoinCheck(p: EpochParams, coin: Uint8Array, userId: string, vendorId: string): string {
  if (coin.length !== 16 * p.k) return 'malformed';
  const balls = Array.from({ length: p.k }, (_, i) => coin.subarray(16 * i, 16 * (i + 1)));
  const fields: { F: number; S: number; s: number }[] = [];
  for (let i = 0; i < p.k; i++) {
    if (balls.slice(0, i).some((b) => hex(b) === hex(balls[i]!))) return 'duplicate-ball';
    const f = specFields(p, specDigest(p.key, balls[i]!));
    if (f.F !== p.fixed) return 'fixed-bits';
    fields.push(f);
  }
  const uh = specOffsets('user', userId, p.k, p.u).offsets;
  const vh = specOffsets('vendor', vendorId, p.k, p.v).offsets;
  for (let i = 0; i < p.k - 1; i++) if (fields[i + 1]!.S !== (fields[i]!.S + uh[i]!) % 2 ** p.u) return 'wrong-user';
  for (let i = 0; i < p.k - 1; i++) if (fields[i + 1]!.s !== (fields[i]!.s + vh[i]!) % 2 ** p.v) return 'wrong-vendor';
  return 'ok';
}

/** Section 8: a message's text, built from the grammar. */
function specMessage(type: string, headers: [string, string][], data?: Uint8Array): string {
  const lines = ['MicroMint-1.0', type, ...headers.map(([n, v]) => `${n}: ${v}`)];
  if (data) {
    lines.push(`Data-Size: ${data.length}`);
    const b64 = Buffer.from(data).toString('base64');
    for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  }
  lines.push('End-MicroMint');
  return `${lines.join('\n')}\n`;
}

/** Section 8: one set of Funds-Withdrawn data, from sb_1 and the balls of each of its k superbins. */
function specSetBytes(p: EpochParams, superbins: number[], ballsBySlot: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4);
  head.writeUInt32BE(superbins[0]!);
  parts.push(head);
  for (const sb of superbins) {
    const bitmap = Buffer.alloc(2 ** (p.v - 3));
    const balls: Buffer[] = [];
    for (let s = 0; s < 2 ** p.v; s++) {
      const x = ballsBySlot.get(`${sb}/${s}`);
      if (!x) continue;
      bitmap[Math.floor(s / 8)]! |= 1 << (7 - (s % 8));
      balls.push(x);
    }
    parts.push(bitmap, ...balls);
  }
  return Buffer.concat(parts);
}

/** Section 9: the network id of a broker origin, and the CAIP-2 shape, as the spec words them. */
function specNetwork(origin: string): { preimage: string; digest: string; network: string } {
  const tag = Buffer.from('MMv1/network', 'ascii');
  assert.equal(tag.length, 12);
  assert.equal(hex(tag), '4d4d76312f6e6574776f726b');
  const preimage = Buffer.concat([tag, Buffer.from([0x00]), Buffer.from(origin, 'utf8')]);
  const digest = sha256(preimage);
  const reference = Buffer.from(digest.subarray(0, 16)).toString('base64url');
  assert.equal(reference.length, 22);
  return { preimage: hex(preimage), digest: hex(digest), network: `mmint:${reference}` };
}
const specCaip2 = (id: string): boolean => {
  const colon = id.indexOf(':');
  const ns = id.slice(0, colon);
  const ref = id.slice(colon + 1);
  return colon > 0 && /^[-a-z0-9]+$/.test(ns) && ns.length >= 3 && ns.length <= 8 && /^[-_a-zA-Z0-9]+$/.test(ref) && ref.length <= 32;
};

const popcount = (bytes: Uint8Array): number => [...bytes].reduce((n, b) => n + [...b.toString(2)].filter((c) => c === '1').length, 0);

// ---------------------------------------------------------------------------------------------

describe('docs/protocol.md states the equations this file implements', () => {
  for (const [name, quote] of Object.entries(QUOTED)) {
    test(`section ${name}`, () => assert.ok(squash(spec).includes(squash(quote)), `docs/protocol.md no longer says: ${quote}`));
  }
  test('section 3 reads the offsets from words 0..k-2 only (never 1..k-1)', () => {
    const s3 = squash(section(3));
    assert.doesNotMatch(s3, /\bi = 1 \.\. k-1/);
    assert.doesNotMatch(s3, /d\[4i \.\. 4i\+3\]\) mod 2\^bits, i = 1/);
  });
});

describe('section 2: the ball digest and its bits', () => {
  test('each published ball: the digest, F = fixed, S and s, from the spec, the vectors and the code', () => {
    for (const b of vectors.balls) {
      const x = Buffer.from(b.x, 'hex');
      const digest = specDigest(epoch.key, x);
      assert.equal(hex(digest), b.digest);
      assert.equal(hex(hashBall(epoch.key, x)), b.digest);
      const f = specFields(epoch, digest);
      assert.deepEqual(f, { F: epoch.fixed, S: b.superbin, s: b.subbin });
      assert.deepEqual(slotOfDigest(epoch, digest), { fixedOk: true, superbin: f.S, subbin: f.s });
    }
  });
  test('F, S and s agree with the code for every kind of shape, at and between the range limits', () => {
    const shapes: [number, number, number][] = [
      [1, 2, 3],
      [24, 24, 16],
      [4, 8, 6],
      [6, 10, 8],
      [16, 22, 12],
      [7, 13, 11],
      [5, 3, 16],
      [24, 2, 3],
      [1, 24, 16],
    ];
    for (const [t, u, v] of shapes) {
      for (let n = 0; n < 200; n++) {
        const digest = sha256(Buffer.from(`digest ${t}/${u}/${v}/${n}`));
        const f = specFields({ t, u, v }, digest);
        const fixed = n % 2 ? f.F : (f.F + 1) % 2 ** t;
        assert.deepEqual(
          slotOfDigest({ t, u, v, fixed }, digest),
          { fixedOk: fixed === f.F, superbin: f.S, subbin: f.s },
          `t=${t} u=${u} v=${v} #${n}`,
        );
      }
    }
  });
});

describe('section 3: user and vendor offsets', () => {
  test('the offsets of the published user and vendor follow from the equation, and the code agrees', () => {
    const user = specOffsets('user', vectors.userId, epoch.k, epoch.u);
    const vendor = specOffsets('vendor', vectors.vendorId, epoch.k, epoch.v);
    assert.deepEqual(user.offsets, vectors.userOffsets);
    assert.deepEqual(userOffsets(epoch, vectors.userId), vectors.userOffsets);
    assert.deepEqual(vendor.offsets, vectors.vendorOffsets);
    assert.deepEqual(vendorOffsets(epoch, vectors.vendorId), vectors.vendorOffsets);
    // What the old text (words 1..k-1) would give: not the offsets.
    const d = Buffer.from(user.draws[0]!.digest, 'hex');
    const wrong = [1, 2, 3].map((i) => d.readUInt32BE(4 * i) % 2 ** epoch.u);
    assert.notDeepEqual(wrong, vectors.userOffsets);
  });

  test("every published draw (offsetDerivations), rejected ones included, is the spec's draw and the code's result", () => {
    const derivations = vectors.offsetDerivations as {
      role: OffsetRole;
      id: string;
      bits: number;
      k: number;
      offsets: number[];
      draws: Draw[];
    }[];
    assert.ok(
      derivations.some((d) => d.draws.length > 1),
      'the vectors include a rejected draw',
    );
    for (const d of derivations) {
      const mine = specOffsets(d.role, d.id, d.k, d.bits);
      assert.deepEqual(mine.draws, d.draws, `${d.role} ${d.id}`);
      assert.deepEqual(mine.offsets, d.offsets);
      assert.deepEqual(deriveOffsets(d.role, d.id, d.k, d.bits), d.offsets);
    }
    // The three ways a draw is rejected all occur: a partial sum of 0, two equal sums, o_1 = 0.
    const rejected = derivations.flatMap((d) => d.draws.filter((x) => !x.kept));
    assert.ok(rejected.some((x) => x.partialSums.at(-1) === 0 && x.offsets[0] !== 0));
    assert.ok(rejected.some((x) => new Set(x.partialSums).size < x.partialSums.length));
    assert.ok(rejected.some((x) => x.offsets[0] === 0));
  });

  test('rejection sampling: identities whose counter-0 draw is rejected get a later draw, in the spec and in the code', () => {
    const cases: { role: OffsetRole; k: number; bits: number; name: (n: number) => string }[] = [
      { role: 'user', k: 4, bits: 8, name: (n) => `u_${n.toString(16).padStart(16, '0')}` },
      { role: 'vendor', k: 4, bits: 6, name: (n) => `https://shop${n}.example` },
      { role: 'user', k: 4, bits: 2, name: (n) => `u_${n.toString(16).padStart(16, '0')}` },
      { role: 'vendor', k: 8, bits: 3, name: (n) => `http://127.0.0.1:${4000 + n}` },
    ];
    for (const c of cases) {
      let n = 0;
      let found: ReturnType<typeof specOffsets> | undefined;
      for (; n < 10_000 && !found; n++) {
        const r = specOffsets(c.role, c.name(n), c.k, c.bits);
        if (r.draws.length > 1) found = r;
      }
      assert.ok(found, `no rejected ${c.role} for k=${c.k} bits=${c.bits}`);
      const id = c.name(n - 1);
      const kept = found.draws.at(-1)!;
      assert.equal(found.draws[0]!.kept, false);
      assert.ok(kept.counter > 0);
      assert.deepEqual(deriveOffsets(c.role, id, c.k, c.bits), kept.offsets, `${c.role} ${id}`);
      assert.notDeepEqual(deriveOffsets(c.role, id, c.k, c.bits), found.draws[0]!.offsets);
    }
  });

  test('the spec and the code agree for every k and a spread of bits, both roles', () => {
    for (let k = 2; k <= 8; k++) {
      for (const bits of [2, 3, 4, 6, 8, 10, 12, 16, 22, 24, 32]) {
        if (2 ** bits < k) continue;
        for (let n = 0; n < 12; n++) {
          for (const role of ['user', 'vendor'] as const) {
            const id = role === 'user' ? `u_${(n * 7919).toString(16).padStart(16, '0')}` : `https://v${n}.example:${8000 + k}`;
            assert.deepEqual(deriveOffsets(role, id, k, bits), specOffsets(role, id, k, bits).offsets, `${role} ${id} k=${k} bits=${bits}`);
          }
        }
      }
    }
  });
});

describe('section 4: superbin sets', () => {
  test("the published coin's superbins are sb_1 stepped by the user's offsets, mod 2^u (with a wrap)", () => {
    const uh = specOffsets('user', vectors.userId, epoch.k, epoch.u).offsets;
    const superbins = specSteps(vectors.firstSuperbin, uh, epoch.u);
    assert.deepEqual(
      superbins,
      vectors.balls.map((b: { superbin: number }) => b.superbin),
    );
    assert.deepEqual(setSuperbins(epoch, vectors.userId, vectors.firstSuperbin), superbins);
    assert.ok(
      superbins.some((sb, i) => i > 0 && sb < superbins[i - 1]!),
      'one step wraps around 2^u',
    );
  });
  test('every first superbin, the spec and the code agree', () => {
    for (const userId of [vectors.userId, 'u_0000000000000008']) {
      const uh = specOffsets('user', userId, epoch.k, epoch.u).offsets;
      for (let first = 0; first < 2 ** epoch.u; first++) {
        const sbs = specSteps(first, uh, epoch.u);
        assert.deepEqual(setSuperbins(epoch, userId, first), sbs);
        assert.equal(new Set(sbs).size, epoch.k, 'the k superbins of a set are distinct');
      }
    }
  });
});

describe('section 5: coins', () => {
  test("the published coin: sub-bins stepped by the vendor's offsets mod 2^v, encoding, coinId, and the coin check", () => {
    const vh = specOffsets('vendor', vectors.vendorId, epoch.k, epoch.v).offsets;
    const subbins = specSteps(vectors.firstSubbin, vh, epoch.v);
    assert.deepEqual(
      subbins,
      vectors.balls.map((b: { subbin: number }) => b.subbin),
    );
    const coin = Buffer.concat(vectors.balls.map((b: { x: string }) => Buffer.from(b.x, 'hex')));
    assert.equal(coin.length, 16 * epoch.k);
    assert.equal(hex(coin), vectors.coin);
    assert.equal(hex(coin.subarray(0, 16)), vectors.coinId);
    assert.equal(coinId(coin), vectors.coinId);
    assert.equal(specCoinCheck(epoch, coin, vectors.userId, vectors.vendorId), 'ok');
    assert.deepEqual(verifyCoin(epoch, coin, vectors.userId, vectors.vendorId), {
      ok: true,
      id: vectors.coinId,
      superbins: specSteps(vectors.firstSuperbin, vectors.userOffsets, epoch.u),
      subbins,
    });
  });
  test("section 6 coin check: the spec's first failure is the code's reason", () => {
    const coin = Buffer.from(vectors.coin, 'hex');
    const ball = (i: number) => coin.subarray(16 * i, 16 * (i + 1));
    const flipped = Buffer.from(coin);
    flipped[16 * 2 + 15]! ^= 1;
    const cases: [string, Buffer, string, string][] = [
      ['valid', coin, vectors.userId, vectors.vendorId],
      ['short', coin.subarray(0, 48), vectors.userId, vectors.vendorId],
      ['repeated ball', Buffer.concat([ball(0), ball(0), ball(2), ball(3)]), vectors.userId, vectors.vendorId],
      ['balls out of order', Buffer.concat([ball(1), ball(0), ball(2), ball(3)]), vectors.userId, vectors.vendorId],
      ['one bit changed', flipped, vectors.userId, vectors.vendorId],
      ['another user', coin, 'u_0000000000000008', vectors.vendorId],
      ['another vendor', coin, vectors.userId, 'https://shop98.example'],
    ];
    const reasons = cases.map(([what, c, u, v]) => {
      const mine = specCoinCheck(epoch, c, u, v);
      const check = verifyCoin(epoch, c, u, v);
      assert.equal(check.ok ? 'ok' : check.reason, mine, what);
      return mine;
    });
    assert.deepEqual(reasons.slice(0, 3), ['ok', 'malformed', 'duplicate-ball']);
    assert.deepEqual(reasons.slice(5), ['wrong-user', 'wrong-vendor']);
  });
});

describe('section 8: Funds-Withdrawn data and the count headers', () => {
  const userId = vectors.userId as string;
  const broker = 'http://127.0.0.1:4000';
  let bySlot: Map<string, Buffer>;
  let specSets: number[][];
  let data: Buffer;
  let text: string;

  const ballsIn = (sb: number): number => [...bySlot.keys()].filter((key) => key.startsWith(`${sb}/`)).length;
  const setsData = (sets: number[][]): Buffer => Buffer.concat(sets.map((sbs) => specSetBytes(epoch, sbs, bySlot)));
  /** A Funds-Withdrawn of `sets`, built by the grammar; `Coins` = balls of the first superbins unless given. */
  const fundsText = (sets: number[][], o: { sets?: string; coins?: string } = {}): string =>
    specMessage(
      'Funds-Withdrawn',
      [
        ['Broker', broker],
        ['Withdrawal-Id', 'w_0123456789abcdef'],
        ['User-Id', userId],
        ['Epoch', epoch.id],
        ['Epoch-Key', hex(epoch.key)],
        ['Params', `t=${epoch.t} u=${epoch.u} v=${epoch.v} k=${epoch.k} fixed=${epoch.fixed}`],
        ['Expires', epoch.expiresAt],
        ['Sets', o.sets ?? String(sets.length)],
        ['Coins', o.coins ?? String(sets.reduce((n, sbs) => n + ballsIn(sbs[0]!), 0))],
      ],
      setsData(sets),
    );

  before(() => {
    // Mint the vectors' epoch, and file the balls by their slot as the spec computes it (not by the code's keys).
    bySlot = new Map();
    for (const x of mintSlots(epoch).values()) {
      const f = specFields(epoch, specDigest(epoch.key, x));
      assert.equal(f.F, epoch.fixed);
      bySlot.set(`${f.S}/${f.s}`, Buffer.from(x));
    }
    const uh = specOffsets('user', userId, epoch.k, epoch.u).offsets;
    const first = specSteps(vectors.firstSuperbin, uh, epoch.u);
    let second = first;
    for (let sb1 = 0; second.some((sb) => first.includes(sb)); sb1++) second = specSteps(sb1, uh, epoch.u);
    specSets = [first, second];
    data = setsData(specSets);
    text = fundsText(specSets);
  });

  const codeSet = (superbins: number[]): SuperbinSet => ({
    superbins,
    balls: superbins.map((sb) => {
      const bin = new Map<number, Uint8Array>();
      for (let s = 0; s < 2 ** epoch.v; s++) {
        const x = bySlot.get(`${sb}/${s}`);
        if (x) bin.set(s, new Uint8Array(x));
      }
      return bin;
    }),
  });

  test('the data of a set is uint32be(sb_1) || B_1 || X_1 || ... || B_k || X_k, as the code writes and reads it', () => {
    const sets = specSets.map(codeSet);
    assert.equal(hex(encodeSets(epoch, sets)), hex(data));
    const back = decodeSets(epoch, userId, new Uint8Array(data));
    assert.deepEqual(
      back.map((s) => s.superbins),
      specSets,
    );
    assert.deepEqual(
      back.map((s) => s.balls.map((b) => [...b].map(([sub, x]) => [sub, hex(x)]))),
      sets.map((s) => s.balls.map((b) => [...b].map(([sub, x]) => [sub, hex(x)]))),
    );
    const one = specSetBytes(epoch, specSets[0]!, bySlot);
    assert.equal(one.length, 4 + epoch.k * 2 ** (epoch.v - 3) + 16 * specSets[0]!.reduce((n, sb) => n + ballsIn(sb), 0));
  });

  test("Funds-Withdrawn: Sets counts the sets, Coins the set bits of the first bitmaps; the text is the code's", () => {
    let at = 0;
    let coins = 0;
    for (const sbs of specSets) {
      coins += popcount(data.subarray(at + 4, at + 4 + 2 ** (epoch.v - 3)));
      at += specSetBytes(epoch, sbs, bySlot).length;
    }
    assert.equal(at, data.length);
    assert.ok(coins > 0);
    const f = decodeFundsWithdrawn(text);
    assert.equal(f.sets.length, specSets.length);
    assert.equal(f.coins, coins);
    assert.equal(encodeFundsWithdrawn(f), text);
    const allBalls = specSets.flat().reduce((n, sb) => n + ballsIn(sb), 0);
    const bad: [string, string][] = [
      ['Sets one more', fundsText(specSets, { sets: '3' })],
      ['Sets one less', fundsText(specSets, { sets: '1' })],
      ['Coins one more', fundsText(specSets, { coins: String(coins + 1) })],
      ['Coins = every ball of the sets', fundsText(specSets, { coins: String(allBalls) })],
      ['Data-Size one more', text.replace(`Data-Size: ${data.length}`, `Data-Size: ${data.length + 1}`)],
      ['another user', text.replace(`User-Id: ${userId}`, 'User-Id: u_0000000000000008')],
    ];
    for (const [what, t] of bad) {
      assert.notEqual(t, text, what);
      assert.throws(() => decodeFundsWithdrawn(t), MessageError, what);
    }
  });

  test('Request-Credit: Balls counts the 16-byte balls of the data', () => {
    const balls = [...bySlot.values()].slice(0, 3);
    const headers: [string, string][] = [
      ['Broker', broker],
      ['User-Id', userId],
      ['Epoch', epoch.id],
    ];
    const rc = specMessage('Request-Credit', [...headers, ['Balls', '3']], Buffer.concat(balls));
    assert.equal(encodeRequestCredit({ broker, userId, epoch: epoch.id, balls: balls.map((b) => new Uint8Array(b)) }), rc);
    assert.deepEqual(decodeRequestCredit(rc).balls.map(hex), balls.map(hex));
    assert.throws(() => decodeRequestCredit(rc.replace('Balls: 3', 'Balls: 2')), MessageError);
    assert.throws(() => decodeRequestCredit(rc.replace('Balls: 3', 'Balls: 03')), MessageError);
    assert.throws(() => decodeRequestCredit(specMessage('Request-Credit', [...headers, ['Balls', '0']], Buffer.alloc(0))), MessageError);
  });

  test('Payment and Invalid-Payment: Coins counts the 16k-byte coins of the data', () => {
    const coin = Buffer.from(vectors.coin, 'hex');
    const pay = (n: number, d: Buffer): string =>
      specMessage(
        'Payment',
        [
          ['Url', 'https://shop.example/a'],
          ['Vendor-Id', 'https://shop.example'],
          ['User-Id', userId],
          ['Epoch', epoch.id],
          ['Coins', String(n)],
        ],
        d,
      );
    assert.equal(decodePayment(epoch, pay(2, Buffer.concat([coin, coin]))).coins.length, 2);
    assert.throws(() => decodePayment(epoch, pay(1, Buffer.concat([coin, coin]))), MessageError);
    assert.throws(() => decodePayment(epoch, pay(2, coin)), MessageError);
    const inv = (n: number, reasons: string | undefined, d?: Buffer): string =>
      specMessage(
        'Invalid-Payment',
        [
          ['Url', 'https://shop.example/a'],
          ['Reason', 'forged'],
          ['Coins', String(n)],
          ...(reasons ? [['Reasons', reasons] as [string, string]] : []),
        ],
        d,
      );
    assert.equal(decodeInvalidPayment(epoch, inv(1, 'forged', coin)).refused.length, 1);
    assert.equal(decodeInvalidPayment(epoch, inv(0, undefined)).refused.length, 0);
    assert.throws(() => decodeInvalidPayment(epoch, inv(1, 'forged,forged', coin)), MessageError);
    assert.throws(() => decodeInvalidPayment(epoch, inv(2, 'forged,forged', coin)), MessageError);
    assert.throws(() => decodeInvalidPayment(epoch, inv(0, undefined, coin)), MessageError);
  });

  // Limits the spec states that a receiver must enforce.
  test('spec: Sets >= 1', () => {
    assert.throws(() => decodeFundsWithdrawn(fundsText([])), MessageError);
  });
  test('spec: the sets of a Funds-Withdrawn share no superbin', () => {
    assert.throws(() => decodeFundsWithdrawn(fundsText([...specSets, specSets[0]!])), MessageError);
  });
  test("spec: Price and a payment's Coins are at most 1000", () => {
    const rp = specMessage('Request-Payment', [
      ['Url', 'https://shop.example/a'],
      ['Price', '1001'],
      ['Vendor-Id', 'https://shop.example'],
      ['Broker', broker],
      ['Epoch', epoch.id],
    ]);
    assert.throws(() => decodeRequestPayment(rp), MessageError);
    const coin = Buffer.from(vectors.coin, 'hex');
    const pay = specMessage(
      'Payment',
      [
        ['Url', 'https://shop.example/a'],
        ['Vendor-Id', 'https://shop.example'],
        ['User-Id', userId],
        ['Epoch', epoch.id],
        ['Coins', '1001'],
      ],
      Buffer.concat(Array<Buffer>(1001).fill(coin)),
    );
    assert.throws(() => decodePayment(epoch, pay), MessageError);
  });
});

describe('section 9: the network id of a broker', () => {
  const published = vectors.networks as { broker: string; origin: string; preimage: string; digest: string; network: string }[];
  test('every published network id follows from the equation over the origin, and the code agrees', () => {
    assert.ok(published.length >= 4);
    for (const v of published) {
      assert.equal(new URL(v.broker).origin, v.origin, v.broker);
      const mine = specNetwork(v.origin);
      assert.deepEqual(mine, { preimage: v.preimage, digest: v.digest, network: v.network }, v.broker);
      assert.equal(micromintNetwork(v.broker), v.network, v.broker);
      assert.ok(specCaip2(v.network) && isCaip2Network(v.network), v.network);
    }
    assert.equal(specNetwork('http://127.0.0.1:4000').network, 'mmint:NWIRckqguyNuoqZ71xyOgw');
  });
  test('the origin is what is hashed: URLs of one broker share an id, other origins do not', () => {
    const ids = (urls: string[]) => new Set(urls.map(micromintNetwork));
    assert.equal(ids(['http://127.0.0.1:4000', 'http://127.0.0.1:4000/', 'http://127.0.0.1:4000/broker/?x=1#y']).size, 1);
    assert.equal(ids(['https://broker.example', 'https://broker.example:443', 'HTTPS://BROKER.example/']).size, 1);
    const distinct = [
      'http://127.0.0.1:4000',
      'http://127.0.0.1:4001',
      'https://127.0.0.1:4000',
      'http://localhost:4000',
      'http://[::1]:4000',
    ];
    assert.equal(ids(distinct).size, distinct.length);
    for (const broker of distinct) assert.equal(micromintNetwork(broker), specNetwork(new URL(broker).origin).network, broker);
  });
  test('the CAIP-2 rule of the spec and isCaip2Network agree, at and beyond the limits', () => {
    const cases = [
      'eip155:8453',
      'mmint:NWIRckqguyNuoqZ71xyOgw',
      'abc:x',
      'abcdefgh:' + 'A'.repeat(32),
      'a-1:_-',
      'ab:x',
      'abcdefghi:x',
      'micromint:http://127.0.0.1:4000',
      'Mmint:x',
      'mmint:',
      ':x',
      'mmint:' + 'A'.repeat(33),
      'mmint:a+b',
      'mmint:a/b',
      'mmint:a=',
      'mm_nt:x',
      'mmint:x:y',
    ];
    for (const id of cases) assert.equal(isCaip2Network(id), specCaip2(id), id);
    assert.deepEqual(
      cases.filter((id) => specCaip2(id)),
      ['eip155:8453', 'mmint:NWIRckqguyNuoqZ71xyOgw', 'abc:x', 'abcdefgh:' + 'A'.repeat(32), 'a-1:_-'],
    );
  });
});
