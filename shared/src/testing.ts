/**
 * Test and benchmark support (Node only: it hashes with `node:crypto`, an implementation
 * independent of the `@noble/hashes` code under test). Import as `@micromint/shared/testing`.
 * @module
 */
import { hash } from 'node:crypto';
import { ballPreimage, setBall, slotOfDigest } from './hash.ts';
import { PARAMETER_SETS, type EpochParams } from './params.ts';
import { setSuperbins, type SuperbinSet } from './superbin-set.ts';

/** A `test`-shaped epoch with a fixed key, far from expiry. */
export function testEpoch(overrides: Partial<EpochParams> = {}): EpochParams {
  return {
    id: 'test-1',
    key: new Uint8Array(32).fill(7),
    ...PARAMETER_SETS.test,
    fixed: 0,
    expiresAt: '2100-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Minted balls by slot: `superbin * 2^v + subbin` -> the first ball that landed there. */
export type Slots = Map<number, Uint8Array>;

/**
 * Mints like the broker, in-process: balls x = 12 zero bytes || uint32be(counter), the first ball
 * per slot kept. The default budget fills about 90% of the slots.
 * @example
 * const slots = mintSlots(testEpoch()); // about 0.4 s
 */
export function mintSlots(p: EpochParams, hashes = Math.ceil(-Math.log(0.1) * 2 ** (p.u + p.v + p.t))): Slots {
  const slots: Slots = new Map();
  const pre = ballPreimage(p.key);
  const x = new Uint8Array(16);
  const view = new DataView(x.buffer);
  for (let i = 0; i < hashes; i++) {
    view.setUint32(12, i);
    setBall(pre, x);
    const s = slotOfDigest(p, hash('sha256', pre, 'buffer'));
    const slot = s.superbin * 2 ** p.v + s.subbin;
    if (s.fixedOk && !slots.has(slot)) slots.set(slot, x.slice());
  }
  return slots;
}

/** The set starting at superbin `first` for `userId`, with every minted ball of its superbins. */
export function setFromSlots(p: EpochParams, slots: Slots, userId: string, first: number): SuperbinSet {
  const superbins = setSuperbins(p, userId, first);
  const balls = superbins.map((sb) => {
    const bin = new Map<number, Uint8Array>();
    for (let s = 0; s < 2 ** p.v; s++) {
      const ball = slots.get(sb * 2 ** p.v + s);
      if (ball) bin.set(s, ball);
    }
    return bin;
  });
  return { superbins, balls };
}
