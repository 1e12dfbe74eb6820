/**
 * Writes docs/payword-vectors.json: a chain, a commitment signed by a wallet and authorized by a
 * broker, the MAC key both sides agree, and one MAC'd payment, all from fixed keys so that a third
 * party can recompute every value (docs/payword-vectors.md says how).
 * Run: `npx tsx shared/scripts/make-payword-vectors.ts`.
 */
import { writeFileSync } from 'node:fs';
import {
  agreementPublicKey,
  buildChain,
  chainIdBytes,
  chainIdOf,
  encodeCommitment,
  hashForward,
  linkAt,
  macInput,
  macKey,
  paymentMac,
  signAuthorization,
  signingPublicKey,
  signRequest,
  toBase64,
  toHex,
  type Commitment,
} from '../src/index.ts';

const fill = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);
const seed = fill(32, 0x11); // w_n
const salt = fill(16, 0x22);
const length = 8;
const walletSigning = fill(32, 0x33); // the wallet key registered to the account (Ed25519 secret)
const brokerSigning = fill(32, 0x44); // the broker's Ed25519 secret
const walletChainSecret = fill(32, 0x55); // the wallet's X25519 secret for this chain
const vendorSecret = fill(32, 0x66); // the vendor's X25519 secret

const chain = buildChain(seed, salt, length, 1);
const links = Array.from({ length: length + 1 }, (_, i) => toHex(linkAt(salt, chain.checkpoints, i)));
const commitment: Commitment = {
  broker: 'https://broker.example',
  userId: 'u_0123456789abcdef',
  vendorId: 'https://shop.example',
  vendorKey: agreementPublicKey(vendorSecret),
  walletKey: agreementPublicKey(walletChainSecret),
  root: chain.root,
  salt,
  length,
  value: 2,
  expiresAt: 4102444800, // 2100-01-01T00:00:00Z
};
const bytes = encodeCommitment(commitment);
const id = chainIdBytes(bytes);
const key = macKey(walletChainSecret, commitment.vendorKey, id);
const payment = {
  chainId: id,
  index: 3,
  units: 2,
  link: linkAt(salt, chain.checkpoints, 3),
  method: 'GET',
  url: 'https://shop.example/articles/a.html',
};

const vectors = {
  description: 'PayWord (PWv1) test vectors: see docs/payword-vectors.md for how to check them by hand.',
  chain: {
    step: 'w_(i-1) = SHA-256("PWv1" || salt || w_i)',
    salt: toHex(salt),
    length,
    seed: toHex(seed),
    links, // links[i] = w_i; links[0] is the root
    check: toHex(hashForward(salt, seed, length)),
  },
  keys: {
    walletSigningSecret: toHex(walletSigning),
    walletSigningPublic: toHex(signingPublicKey(walletSigning)),
    brokerSigningSecret: toHex(brokerSigning),
    brokerSigningPublic: toHex(signingPublicKey(brokerSigning)),
    walletChainSecret: toHex(walletChainSecret),
    walletChainPublic: toHex(commitment.walletKey),
    vendorSecret: toHex(vendorSecret),
    vendorPublic: toHex(commitment.vendorKey),
  },
  commitment: {
    fields: {
      ...commitment,
      vendorKey: toHex(commitment.vendorKey),
      walletKey: toHex(commitment.walletKey),
      root: toHex(commitment.root),
      salt: toHex(salt),
    },
    bytes: toHex(bytes),
    base64: toBase64(bytes),
    chainId: chainIdOf(bytes),
    request: toHex(signRequest(walletSigning, bytes)),
    authorization: toHex(signAuthorization(brokerSigning, bytes)),
  },
  mac: {
    key: toHex(key),
    payment: { index: payment.index, units: payment.units, link: toHex(payment.link), method: payment.method, url: payment.url },
    input: toHex(macInput(payment)),
    mac: toHex(paymentMac(key, payment)),
  },
};
writeFileSync(new URL('../../docs/payword-vectors.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n');
console.log(`wrote docs/payword-vectors.json (chain ${vectors.commitment.chainId})`);
