/**
 * What the store tests record: coins and coin payments, PayWord chains (real hash chains from
 * shared) and their payments. Ids and coins are fresh on every call.
 */
import { randomBytes } from 'node:crypto';
import { buildChain, chainIdOf, encodeCommitment, linkAt, type BuiltChain } from '@micromint/shared';
import type { NewChain, NewPayment, NewPaywordPayment } from '../src/index.ts';

let n = 0;
/** A fresh number, for ids and file names. */
export const nextId = (): number => ++n;

/** A coin of 64 random bytes, its id the hex of its first 16. */
export function newCoin(): { id: string; coin: Uint8Array } {
  const bytes = new Uint8Array(randomBytes(64));
  return { id: Buffer.from(bytes.subarray(0, 16)).toString('hex'), coin: bytes };
}

/** A coin payment of two fresh coins for `/a.html`, with `patch` over it. */
export const coinPayment = (patch: Partial<NewPayment> = {}): NewPayment => ({
  id: `pay_${nextId()}`,
  epoch: 'e1',
  userId: 'u_0000000000000001',
  method: 'GET',
  url: 'http://127.0.0.1:4001/a.html',
  price: 2,
  paidAt: new Date().toISOString(),
  coins: [newCoin(), newCoin()],
  ...patch,
});

/** A chain of `length` links, its commitment, and its links. */
export interface TestChain {
  c: NewChain;
  built: BuiltChain;
  link(i: number): Uint8Array;
}

/** A chain of `length` links (2 mills each), committed to by a made-up broker. */
export function testChain(length = 64): TestChain {
  const salt = new Uint8Array(randomBytes(16));
  const built = buildChain(new Uint8Array(randomBytes(32)), salt, length);
  const fields = {
    broker: 'http://127.0.0.1:4000',
    userId: 'u_0000000000000001',
    vendorId: 'http://127.0.0.1:4001',
    vendorKey: new Uint8Array(32).fill(9),
    walletKey: new Uint8Array(32).fill(7),
    root: built.root,
    salt,
    length,
    value: 2,
    expiresAt: 2_000_000_000,
  };
  const commitment = encodeCommitment(fields);
  const c: NewChain = {
    chainId: chainIdOf(commitment),
    commitment,
    userId: fields.userId,
    length,
    value: 2,
    expiresAt: fields.expiresAt,
    root: built.root,
    salt,
  };
  return { c, built, link: (i) => linkAt(salt, built.checkpoints, i) };
}

/** 32 random bytes: a payment's MAC. */
export const newMac = (): Uint8Array => new Uint8Array(randomBytes(32));

/** A payment of the range `index - units + 1 .. index` of `ch`, for `/a<index>`. */
export function chainPayment(ch: TestChain, index: number, units: number, patch: Partial<NewPaywordPayment> = {}): NewPaywordPayment {
  return {
    id: `pay_pw${nextId()}`,
    chain: ch.c,
    index,
    units,
    link: ch.link(index),
    method: 'GET',
    url: `http://127.0.0.1:4001/a${index}`,
    mac: newMac(),
    paidAt: '2030-01-01T00:00:00.000Z',
    ...patch,
  };
}
