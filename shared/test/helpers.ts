/** Test helpers: a tiny in-process mint with Node's native SHA-256 (independent of noble). */
import { hash } from 'node:crypto';
import { ballPreimage, PARAMETER_SETS, setBall, setSuperbins, slotOfDigest, type EpochParams, type SuperbinSet } from '../src/index.ts';

export function testEpoch(overrides: Partial<EpochParams> = {}): EpochParams {
  return { id: 'test-1', key: new Uint8Array(32).fill(7), ...PARAMETER_SETS.test, fixed: 0, expiresAt: '2100-01-01T00:00:00.000Z', ...overrides };
}

/** Mints every slot it can within a budget of hashes: slot key `superbin*2^v+subbin` -> first ball. */
export function mint(p: EpochParams, hashes = 2 ** (p.t + p.u + p.v) * 2.3): Map<number, Uint8Array> {
  const slots = new Map<number, Uint8Array>();
  const pre = ballPreimage(p.key);
  const x = new Uint8Array(16);
  const view = new DataView(x.buffer);
  for (let i = 0; i < hashes; i++) {
    view.setUint32(12, i);
    setBall(pre, x);
    const s = slotOfDigest(p, new Uint8Array(hash('sha256', pre, 'buffer')));
    const slot = s.superbin * 2 ** p.v + s.subbin;
    if (s.fixedOk && !slots.has(slot)) slots.set(slot, x.slice());
  }
  return slots;
}

/** The set starting at `first` for `userId`, from minted slots. */
export function sellSet(p: EpochParams, slots: Map<number, Uint8Array>, userId: string, first: number): SuperbinSet {
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
