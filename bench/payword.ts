/**
 * PayWord verification at the vendor, beside MicroMint's coin check and an Ed25519 verification:
 * what a payment of the same price costs each scheme (one core, @noble libraries).
 */
import {
  buildChain,
  chainIdBytes,
  encodeCommitment,
  linkAt,
  macKey,
  newAgreementKey,
  newSigningKey,
  paymentMac,
  signAuthorization,
  verifyAuthorization,
  verifyLink,
  verifyPaymentMac,
  type IndexedLink,
} from '@micromint/shared';

/** Runs `fn` in rounds of `batch` for `seconds` (after a quarter of that to warm up) and returns calls per second. */
export function perSecond(fn: (i: number) => void, seconds = 2, batch = 100): number {
  const warm = performance.now() + seconds * 250;
  for (let i = 0; performance.now() < warm; i++) fn(i);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) for (let i = 0; i < batch; i++, n++) fn(n);
  return n / ((performance.now() - start) / 1000);
}

/** A chain at a vendor, and payments of `units` links each, MAC'd for one URL. */
export function paywordFixture(units: number, payments = 200) {
  const vendor = newAgreementKey();
  const chainKey = newAgreementKey();
  const broker = newSigningKey();
  const salt = new Uint8Array(16).fill(7);
  const length = units * payments;
  const chain = buildChain(new Uint8Array(32).fill(9), salt, length);
  const commitment = encodeCommitment({
    broker: 'http://127.0.0.1:1',
    userId: 'u_00000000000bench',
    vendorId: 'http://127.0.0.1:2',
    vendorKey: vendor.publicKey,
    walletKey: chainKey.publicKey,
    root: chain.root,
    salt,
    length,
    value: 1,
    expiresAt: 4102444800,
  });
  const id = chainIdBytes(commitment);
  const key = macKey(chainKey.secretKey, vendor.publicKey, id);
  const url = 'http://127.0.0.1:2/articles/a.html';
  const list = Array.from({ length: payments }, (_, p) => {
    const index = (p + 1) * units;
    const link = linkAt(salt, chain.checkpoints, index);
    return {
      index,
      link,
      mac: paymentMac(key, { chainId: id, index, units, link, method: 'GET', url }),
      prev: { index: index - units, link: linkAt(salt, chain.checkpoints, index - units) } as IndexedLink,
    };
  });
  const authorization = signAuthorization(broker.secretKey, commitment);
  return { vendor, chainKey, broker, salt, id, key, url, units, list, commitment, authorization };
}

/** Verifications per second of a payword payment with the chain known: the MAC, then `units` hashes. */
export function paywordVerificationsPerSecond(units: number, seconds = 2): number {
  const f = paywordFixture(units);
  return perSecond((i) => {
    const p = f.list[i % f.list.length]!;
    const m = { chainId: f.id, index: p.index, units, link: p.link, method: 'GET', url: f.url };
    if (!verifyPaymentMac(f.key, m, p.mac) || !verifyLink(f.salt, p.link, p.index, p.prev))
      throw new Error('a bench link failed to verify');
  }, seconds);
}

/** The first payment of a chain at a vendor: the authorization (Ed25519) and the key agreement (X25519) on top. */
export function firstPaymentPerSecond(seconds = 2): number {
  const f = paywordFixture(1, 2);
  return perSecond(
    () => {
      if (!verifyAuthorization(f.broker.publicKey, f.authorization, f.commitment)) throw new Error('authorization failed');
      macKey(f.vendor.secretKey, f.chainKey.publicKey, f.id);
    },
    seconds,
    10,
  );
}

/** Ed25519 verifications per second, for scale. */
export function ed25519PerSecond(seconds = 2): number {
  const f = paywordFixture(1, 2);
  return perSecond(
    () => {
      if (!verifyAuthorization(f.broker.publicKey, f.authorization, f.commitment)) throw new Error('authorization failed');
    },
    seconds,
    10,
  );
}
