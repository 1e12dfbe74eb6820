import assert from 'node:assert/strict';
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  buildChain,
  chainIdOf,
  decodeCommitment,
  decodePaymentPayload,
  encodeCommitment,
  encodeHeader,
  fromHex,
  linkAt,
  macKey,
  newAgreementKey,
  newSigningKey,
  PaymentHeaderError,
  paymentMac,
  paywordPayload,
  paywordRequirements,
  readPaywordPayload,
  readPaywordRequirements,
  signAuthorization,
  signRequest,
  toHex,
  verifyAuthorization,
  verifyLink,
  linkMatches,
  verifyPaymentMac,
  verifyRequest,
} from '../src/index.ts';

const v = JSON.parse(readFileSync(new URL('../../docs/payword-vectors.json', import.meta.url), 'utf8'));
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

// Keys for node:crypto from raw bytes (an implementation independent of @noble/curves).
const pkcs8 = { ed25519: '302e020100300506032b657004220420', x25519: '302e020100300506032b656e04220420' };
const spki = { ed25519: '302a300506032b6570032100', x25519: '302a300506032b656e032100' };
const secretKey = (kind: 'ed25519' | 'x25519', raw: string) =>
  createPrivateKey({ key: hex(pkcs8[kind] + raw), format: 'der', type: 'pkcs8' });
const publicKey = (kind: 'ed25519' | 'x25519', raw: string) => createPublicKey({ key: hex(spki[kind] + raw), format: 'der', type: 'spki' });
const rawPublic = (k: ReturnType<typeof publicKey>): string => k.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');

test('spec equation: each link is SHA-256("PWv1" || salt || next link), down to the root', () => {
  const { links, salt, length, seed } = v.chain;
  assert.equal(links[length], seed);
  for (let i = length; i > 0; i--) assert.equal(sha(Buffer.from('PWv1'), hex(salt), hex(links[i])).toString('hex'), links[i - 1]);
  const built = buildChain(fromHex(seed), fromHex(salt), length);
  assert.equal(toHex(built.root), links[0]);
  for (let i = 0; i <= length; i++) assert.equal(toHex(linkAt(fromHex(salt), built.checkpoints, i)), links[i]);
});

test('spec equation: the commitment bytes are the documented fields in order', () => {
  const f = v.commitment.fields;
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const nums = Buffer.alloc(16);
  nums.writeUInt32BE(f.length, 0);
  nums.writeUInt32BE(f.value, 4);
  nums.writeBigUInt64BE(BigInt(f.expiresAt), 8);
  const bytes = Buffer.concat([
    Buffer.from('PWv1/commitment\0'),
    str(f.broker),
    str(f.userId),
    str(f.vendorId),
    hex(f.vendorKey),
    hex(f.walletKey),
    hex(f.root),
    hex(f.salt),
    nums,
  ]);
  assert.equal(bytes.toString('hex'), v.commitment.bytes);
  assert.equal(bytes.toString('base64'), v.commitment.base64);
  assert.equal(sha(Buffer.from('PWv1/chain-id\0'), bytes).subarray(0, 16).toString('hex'), v.commitment.chainId);
  assert.equal(chainIdOf(bytes), v.commitment.chainId);
  const decoded = decodeCommitment(bytes);
  assert.equal(decoded.userId, f.userId);
  assert.equal(toHex(encodeCommitment(decoded)), v.commitment.bytes);
});

test('spec equation: the request and the authorization are Ed25519 over tag || commitment', () => {
  const k = v.keys;
  assert.equal(rawPublic(createPublicKey(secretKey('ed25519', k.walletSigningSecret))), k.walletSigningPublic);
  assert.equal(rawPublic(createPublicKey(secretKey('ed25519', k.brokerSigningSecret))), k.brokerSigningPublic);
  const bytes = hex(v.commitment.bytes);
  const request = Buffer.concat([Buffer.from('PWv1/request\0'), bytes]);
  const authorization = Buffer.concat([Buffer.from('PWv1/authorization\0'), bytes]);
  assert.equal(sign(null, request, secretKey('ed25519', k.walletSigningSecret)).toString('hex'), v.commitment.request);
  assert.equal(sign(null, authorization, secretKey('ed25519', k.brokerSigningSecret)).toString('hex'), v.commitment.authorization);
  assert.ok(verify(null, authorization, publicKey('ed25519', k.brokerSigningPublic), hex(v.commitment.authorization)));
  assert.ok(verifyAuthorization(fromHex(k.brokerSigningPublic), fromHex(v.commitment.authorization), bytes));
  assert.ok(verifyRequest(fromHex(k.walletSigningPublic), fromHex(v.commitment.request), bytes));
  // Tags keep the two signatures apart: a request is no authorization.
  assert.ok(!verifyAuthorization(fromHex(k.walletSigningPublic), fromHex(v.commitment.request), bytes));
});

test('spec equation: the MAC key is HKDF-SHA256(X25519, chain id, "PWv1/mac") and the MAC an HMAC of the documented input', () => {
  const k = v.keys;
  const shared = diffieHellman({ privateKey: secretKey('x25519', k.walletChainSecret), publicKey: publicKey('x25519', k.vendorPublic) });
  const sharedOther = diffieHellman({
    privateKey: secretKey('x25519', k.vendorSecret),
    publicKey: publicKey('x25519', k.walletChainPublic),
  });
  assert.deepEqual(shared, sharedOther);
  const key = Buffer.from(hkdfSync('sha256', shared, hex(v.commitment.chainId), Buffer.from('PWv1/mac'), 32));
  assert.equal(key.toString('hex'), v.mac.key);
  const p = v.mac.payment;
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const txt = (s: string) => {
    const b = Buffer.from(s);
    const l = Buffer.alloc(2);
    l.writeUInt16BE(b.length);
    return Buffer.concat([l, b]);
  };
  const input = Buffer.concat([
    Buffer.from('PWv1/pay\0'),
    hex(v.commitment.chainId),
    u32(p.index),
    u32(p.units),
    hex(p.link),
    txt(p.method),
    txt(p.url),
  ]);
  assert.equal(input.toString('hex'), v.mac.input);
  assert.equal(createHmac('sha256', key).update(input).digest('hex'), v.mac.mac);
  // And the library agrees from both sides.
  const id = fromHex(v.commitment.chainId);
  assert.equal(toHex(macKey(fromHex(k.vendorSecret), fromHex(k.walletChainPublic), id)), v.mac.key);
  const m = { chainId: id, index: p.index, units: p.units, link: fromHex(p.link), method: p.method, url: p.url };
  assert.equal(toHex(paymentMac(fromHex(v.mac.key), m)), v.mac.mac);
  assert.ok(verifyPaymentMac(fromHex(v.mac.key), m, fromHex(v.mac.mac)));
  assert.ok(!verifyPaymentMac(fromHex(v.mac.key), { ...m, url: p.url + '?other' }, fromHex(v.mac.mac)));
  assert.ok(!verifyPaymentMac(fromHex(v.mac.key), { ...m, method: 'POST' }, fromHex(v.mac.mac)));
});

test('verifyLink: l units ahead verifies from the last link held; lower, equal and foreign links do not', () => {
  const salt = fromHex(v.chain.salt);
  const links = v.chain.links.map(fromHex);
  assert.ok(verifyLink(salt, links[1], 1, { index: 0, link: links[0] }));
  assert.ok(verifyLink(salt, links[5], 5, { index: 2, link: links[2] }));
  assert.ok(!verifyLink(salt, links[5], 4, { index: 2, link: links[2] }), 'wrong index');
  assert.ok(!verifyLink(salt, links[2], 2, { index: 2, link: links[2] }), 'not above the known link');
  assert.ok(!verifyLink(salt, links[1], 1, { index: 2, link: links[2] }), 'below the known link');
  assert.ok(!verifyLink(new Uint8Array(16), links[1], 1, { index: 0, link: links[0] }), 'another salt');
});

test('linkMatches: a link above or below the one held fits its chain; a wrong index, link or salt does not', () => {
  const salt = fromHex(v.chain.salt);
  const links = v.chain.links.map(fromHex);
  assert.ok(linkMatches(salt, links[5], 5, { index: 2, link: links[2] }), 'above');
  assert.ok(linkMatches(salt, links[3], 3, { index: 7, link: links[7] }), 'below: h^4(w_7) = w_3');
  assert.ok(linkMatches(salt, links[7], 7, { index: 7, link: links[7] }), 'the same link');
  assert.ok(linkMatches(salt, links[0], 0, { index: 8, link: links[8] }), 'down to the root');
  assert.ok(!linkMatches(salt, links[3], 4, { index: 7, link: links[7] }), 'wrong index below');
  assert.ok(!linkMatches(salt, links[6], 6, { index: 6, link: links[7] }), 'another link at the same index');
  assert.ok(!linkMatches(new Uint8Array(16), links[3], 3, { index: 7, link: links[7] }), 'another salt');
  assert.ok(!linkMatches(salt, links[3], -1, { index: 7, link: links[7] }), 'no such index');
});

test('commitment decoding is strict', () => {
  const bytes = fromHex(v.commitment.bytes);
  assert.throws(() => decodeCommitment(bytes.slice(0, -1)), RangeError);
  assert.throws(() => decodeCommitment(new Uint8Array([...bytes, 0])), RangeError);
  const bad = bytes.slice();
  bad[0] = 0x51;
  assert.throws(() => decodeCommitment(bad), RangeError);
  const zeroLength = bytes.slice();
  zeroLength.set([0, 0, 0, 0], bytes.length - 16);
  assert.throws(() => decodeCommitment(zeroLength), RangeError);
});

test('fresh keys: both sides agree the MAC key; signatures verify only under their key', () => {
  const vendor = newAgreementKey();
  const chainKey = newAgreementKey();
  const id = fromHex(v.commitment.chainId);
  assert.deepEqual(macKey(chainKey.secretKey, vendor.publicKey, id), macKey(vendor.secretKey, chainKey.publicKey, id));
  assert.throws(() => macKey(chainKey.secretKey, new Uint8Array(32), id), RangeError);
  const broker = newSigningKey();
  const other = newSigningKey();
  const bytes = fromHex(v.commitment.bytes);
  const sig = signAuthorization(broker.secretKey, bytes);
  assert.ok(verifyAuthorization(broker.publicKey, sig, bytes));
  assert.ok(!verifyAuthorization(other.publicKey, sig, bytes));
  const tampered = bytes.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.ok(!verifyAuthorization(broker.publicKey, sig, tampered));
  assert.ok(verifyRequest(other.publicKey, signRequest(other.secretKey, bytes), bytes));
});

test('x402 payword requirement and payload round-trip; malformed payloads are header errors', () => {
  const vendorKey = fromHex(v.keys.vendorPublic);
  const r = paywordRequirements({ price: 5, vendorId: 'https://shop.example', broker: 'https://broker.example', vendorKey, linkValue: 2 });
  const read = readPaywordRequirements(r);
  assert.equal(read.units, 3);
  assert.deepEqual(read.vendorKeyBytes, vendorKey);
  const payload = paywordPayload({
    chainId: v.commitment.chainId,
    index: 3,
    units: 2,
    link: fromHex(v.mac.payment.link),
    mac: fromHex(v.mac.mac),
    commitment: fromHex(v.commitment.bytes),
    authorization: fromHex(v.commitment.authorization),
  });
  const header = encodeHeader({ x402Version: 2, accepted: r, payload });
  const back = readPaywordPayload(decodePaymentPayload(header));
  assert.equal(back.index, 3);
  assert.equal(toHex(back.commitment!), v.commitment.bytes);
  const bad = (p: Record<string, unknown>) => () => readPaywordPayload({ x402Version: 2, accepted: r, payload: { ...payload, ...p } });
  assert.throws(bad({ chainId: 'XYZ' }), PaymentHeaderError);
  assert.throws(bad({ index: 0 }), PaymentHeaderError);
  assert.throws(bad({ units: 1e9 }), PaymentHeaderError);
  assert.throws(bad({ units: 4 }), PaymentHeaderError, 'units above index');
  assert.throws(bad({ link: 'AAAA' }), PaymentHeaderError);
  assert.throws(bad({ mac: '!!' }), PaymentHeaderError);
  assert.throws(bad({ authorization: undefined }), PaymentHeaderError, 'commitment without authorization');
  assert.throws(() => readPaywordRequirements({ ...r, extra: { ...r.extra, linkValue: 0 } }), PaymentHeaderError);
});
