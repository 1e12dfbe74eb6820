/** A wallet's chains (shared/src/wallet): making one, which one pays, the payment it sends, what a refusal does to it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chainAfterRefusal,
  chainHeldMills,
  ChainProposalError,
  decodeCommitment,
  fromHex,
  linkPayload,
  linkRangeText,
  linksLeft,
  macKey,
  makeChain,
  newAgreementKey,
  newSigningKey,
  nextAfterSpent,
  openingChain,
  paywordAnswer,
  paywordRequirements,
  readPaywordPayload,
  reserveLinks,
  statusAt,
  toBase64,
  usableChain,
  verifyLink,
  verifyPaymentMac,
  verifyRequest,
  withCommitment,
  type WalletChain,
} from '../src/index.ts';

const NOW = 1_700_000_000_000;
const broker = 'http://127.0.0.1:4000';
const vendorId = 'http://127.0.0.1:4001';
const vendor = newAgreementKey();
const wallet = newSigningKey();
const proposal = {
  broker,
  userId: 'u_1',
  vendorId,
  vendorKey: toBase64(vendor.publicKey),
  value: 2,
  length: 10,
  expiresAt: NOW / 1000 + 3600,
};

/** Counting bytes: a deterministic "random" source. */
const counting = () => {
  let n = 0;
  return (bytes: number) => Uint8Array.from({ length: bytes }, () => n++ & 0xff);
};

describe('makeChain', () => {
  test('makes the opening record: a commitment to the proposal, a request signed by the wallet key, the vendor\u2019s MAC key', () => {
    const { record, secrets } = makeChain(proposal, wallet.secretKey, NOW, counting());
    const c = decodeCommitment(record.commitment);
    assert.deepEqual(
      [c.broker, c.userId, c.vendorId, toBase64(c.vendorKey), c.value, c.length, c.expiresAt],
      [broker, 'u_1', vendorId, proposal.vendorKey, 2, 10, proposal.expiresAt],
    );
    assert.deepEqual(c.root, secrets.root);
    assert.ok(verifyRequest(wallet.publicKey, record.request, record.commitment));
    assert.deepEqual(record.macKey, macKey(vendor.secretKey, c.walletKey, fromHex(record.id)), 'the vendor agrees on the MAC key');
    assert.deepEqual(
      [record.status, record.next, record.sentCommitment, record.createdAt, record.authorization],
      ['opening', 1, false, NOW, undefined],
    );
    assert.notDeepEqual(makeChain(proposal, wallet.secretKey, NOW).record.id, record.id, 'fresh randomness by default');
  });

  test('refuses, with a code, a proposal no commitment can hold or no MAC key can bind', () => {
    const long = { ...proposal, vendorId: `http://${'a'.repeat(300)}.example` };
    assert.throws(
      () => makeChain(long, wallet.secretKey, NOW),
      (e) => e instanceof ChainProposalError && e.code === 'unpayable',
    );
    const lowOrder = { ...proposal, vendorKey: toBase64(new Uint8Array(32)) };
    assert.throws(
      () => makeChain(lowOrder, wallet.secretKey, NOW),
      (e) => e instanceof ChainProposalError && e.code === 'bad-vendor-key',
    );
  });
});

const open = (o: Partial<WalletChain> = {}): WalletChain => ({
  ...makeChain(proposal, wallet.secretKey, NOW, counting()).record,
  status: 'open',
  authorization: new Uint8Array(64).fill(1),
  ...o,
});
const want = { broker, vendorId, vendorKey: proposal.vendorKey, value: 2, units: 3 };

describe('which chain pays', () => {
  test('status and what a chain holds follow its expiry and its links left', () => {
    const c = open({ next: 4 });
    assert.equal(linksLeft(c), 7);
    assert.equal(chainHeldMills(c, NOW), 14);
    assert.equal(statusAt(c, proposal.expiresAt * 1000), 'expired');
    assert.equal(chainHeldMills(c, proposal.expiresAt * 1000), 0);
    assert.equal(statusAt(open({ next: 11 }), NOW), 'exhausted');
    assert.equal(statusAt(open({ status: 'closed' }), NOW), 'closed');
  });

  test('usableChain: the same terms with enough links, authorized, not expiring within a minute; the one expiring first', () => {
    const late = open({ id: 'late', expiresAt: proposal.expiresAt + 100 });
    const soon = open({ id: 'soon' });
    assert.equal(usableChain([late, soon], want, NOW)?.id, 'soon');
    assert.equal(usableChain([soon], { ...want, units: 11 }, NOW), undefined, 'too few links');
    assert.equal(usableChain([soon], { ...want, value: 1 }, NOW), undefined, 'another value');
    assert.equal(usableChain([open({ authorization: undefined })], want, NOW), undefined, 'not authorized');
    assert.equal(usableChain([soon], want, (proposal.expiresAt - 60) * 1000), undefined, 'expires within the margin');
    assert.equal(usableChain([soon], want, (proposal.expiresAt - 61) * 1000)?.id, 'soon');
  });

  test('openingChain finds a chain being opened for the same terms', () => {
    const opening = open({ status: 'opening', authorization: undefined });
    assert.equal(openingChain([open(), opening], want, NOW), opening);
    assert.equal(openingChain([opening], { ...want, vendorKey: toBase64(new Uint8Array(32).fill(9)) }, NOW), undefined);
  });
});

describe('paying links', () => {
  test('reserveLinks reveals j = next - 1 + units and exhausts the chain at its end', () => {
    assert.deepEqual(reserveLinks({ next: 1, length: 10 }, 3), { index: 3, next: 4, status: 'open' });
    assert.deepEqual(reserveLinks({ next: 8, length: 10 }, 3), { index: 10, next: 11, status: 'exhausted' });
    assert.equal(linkRangeText({ chainId: 'ab'.repeat(16), index: 10, units: 3 }), `links 8..10 of chain ${'ab'.repeat(6)}…`);
  });

  test('linkPayload reveals a link of the chain, MACed to the request, with the commitment while asked', () => {
    const made = makeChain(proposal, wallet.secretKey, NOW, counting());
    const chain = { ...made.record, authorization: new Uint8Array(64).fill(1) };
    const requirement = paywordRequirements({ price: 6, vendorId, broker, vendorKey: vendor.publicKey, linkValue: 2 });
    const resourceUrl = `${vendorId}/a`;
    const sent = linkPayload(chain, { index: 3, units: 3, method: 'GET', resourceUrl, requirement, withCommitment: false });
    assert.deepEqual([sent.resource?.url, sent.accepted], [resourceUrl, requirement]);
    const p = readPaywordPayload(sent);
    assert.equal(p.commitment, undefined);
    assert.ok(verifyLink(chain.salt, p.link, 3, { index: 0, link: made.secrets.root }));
    const vendorMac = macKey(vendor.secretKey, decodeCommitment(chain.commitment).walletKey, fromHex(chain.id));
    assert.ok(
      verifyPaymentMac(vendorMac, { chainId: fromHex(chain.id), index: 3, units: 3, link: p.link, method: 'GET', url: resourceUrl }, p.mac),
    );
    const first = readPaywordPayload(
      linkPayload(chain, { index: 3, units: 3, method: 'GET', resourceUrl, requirement, withCommitment: true }),
    );
    assert.deepEqual([first.commitment, first.authorization], [chain.commitment, chain.authorization]);
    const again = readPaywordPayload(withCommitment(sent, chain));
    assert.deepEqual(
      [again.link, again.mac, again.commitment],
      [p.link, p.mac, chain.commitment],
      'the same payment, the commitment added',
    );
    assert.throws(() => withCommitment(sent, { commitment: chain.commitment }), RangeError);
  });
});

describe('what a refusal does to the chain', () => {
  const chain = { next: 4, length: 10, status: 'open' as const, sentCommitment: true };
  const range = { chainId: 'ab'.repeat(16), index: 3 };
  test('already-spent moves the next index above j and the vendor\u2019s highest, never beyond the end', () => {
    assert.equal(nextAfterSpent({ next: 4, length: 10 }, 3, 7), 8);
    assert.equal(nextAfterSpent({ next: 4, length: 10 }, 3, 99), 11);
    assert.equal(nextAfterSpent({ next: 4, length: 10 }, 3, -5), 4);
    assert.deepEqual(chainAfterRefusal(chain, range, { error: 'already-spent', highestIndex: 6 }), { next: 7 });
    assert.deepEqual(chainAfterRefusal(chain, range, { error: 'already-spent', highestIndex: 10 }), { next: 11, status: 'exhausted' });
    assert.equal(chainAfterRefusal(chain, range, { error: 'already-spent' }), undefined, 'j is below next already');
  });

  test('a chain-ending refusal ends it, unknown-chain sends the commitment again, others and other chains change nothing', () => {
    assert.deepEqual(chainAfterRefusal(chain, range, { error: 'expired' }), { status: 'expired', error: 'expired' });
    assert.deepEqual(chainAfterRefusal(chain, range, { error: 'too-many-gaps' }), { status: 'closed', error: 'too-many-gaps' });
    assert.equal(chainAfterRefusal({ ...chain, status: 'closed' }, range, { error: 'bad-link' }), undefined);
    assert.deepEqual(chainAfterRefusal(chain, range, { error: 'unknown-chain' }), { sentCommitment: false });
    assert.equal(chainAfterRefusal(chain, range, { error: 'bad-mac' }), undefined);
    assert.equal(chainAfterRefusal(chain, range, { error: 'expired', chainId: 'cd'.repeat(16) }), undefined);
  });
});

describe('paywordAnswer', () => {
  test('keeps the well-formed fields of extensions.payword, drops the rest, never throws', () => {
    const chainId = 'ab'.repeat(16);
    assert.deepEqual(
      paywordAnswer({ payword: { chainId, index: 5, units: 2, reason: 'already-spent', highestIndex: 0, released: true, x: 1 } }),
      {
        chainId,
        index: 5,
        units: 2,
        reason: 'already-spent',
        highestIndex: 0,
        released: true,
      },
    );
    assert.deepEqual(
      paywordAnswer({ payword: { chainId: 'AB', index: 0, units: 1.5, reason: 'Bad Reason', highestIndex: -1, released: 'yes' } }),
      {},
    );
    for (const bad of [undefined, null, 'x', [], { payword: [] }, { payword: 'x' }, { micromint: {} }])
      assert.equal(paywordAnswer(bad), undefined);
  });
});
