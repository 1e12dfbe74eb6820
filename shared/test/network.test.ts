import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  assertCaip2Network,
  brokerOrigin,
  CAIP2_PATTERN,
  isCaip2Network,
  micromintNetwork,
  micromintRequirements,
  networkPreimage,
  paywordRequirements,
  toHex,
} from '../src/index.ts';

const vectors = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8')) as {
  networks: { broker: string; origin: string; preimage: string; digest: string; network: string }[];
};

describe('the network id of a broker', () => {
  test('the published vectors: origin, preimage, SHA-256 and id', () => {
    for (const v of vectors.networks) {
      assert.equal(brokerOrigin(v.broker), v.origin);
      assert.equal(toHex(networkPreimage(v.origin)), v.preimage);
      assert.equal(createHash('sha256').update(networkPreimage(v.origin)).digest('hex'), v.digest);
      assert.equal(micromintNetwork(v.broker), v.network);
      assert.match(v.network, /^mmint:[A-Za-z0-9_-]{22}$/);
    }
    // The alphabet's two url characters both occur, so a decoder that maps them wrongly fails here.
    assert.ok(vectors.networks.some((v) => v.network.includes('_')));
    assert.ok(vectors.networks.some((v) => v.network.slice(6).includes('-')));
  });

  test('both schemes offer the same CAIP-2 network for a broker, and keep its URL in extra.broker', () => {
    const broker = 'http://127.0.0.1:4000';
    const coins = micromintRequirements({ price: 2, vendorId: 'http://127.0.0.1:4001', broker, epoch: 'e1' });
    const chains = paywordRequirements({
      price: 2,
      vendorId: 'http://127.0.0.1:4001',
      broker,
      vendorKey: new Uint8Array(32),
      linkValue: 1,
    });
    assert.equal(coins.network, 'mmint:NWIRckqguyNuoqZ71xyOgw');
    assert.equal(chains.network, coins.network);
    assert.ok(isCaip2Network(coins.network));
    assert.equal(coins.extra?.broker, broker);
    assert.equal(chains.extra?.broker, broker);
  });

  test('a broker URL that is not http(s) has no network id', () => {
    assert.throws(() => micromintNetwork('not a url'), TypeError);
    assert.throws(() => micromintNetwork('ftp://broker.example'), RangeError);
    assert.throws(() => brokerOrigin('file:///etc/passwd'), RangeError);
  });
});

describe('isCaip2Network and assertCaip2Network', () => {
  test('accept CAIP-2 chain ids and nothing else', () => {
    for (const ok of [
      'eip155:1',
      'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
      'mmint:NWIRckqguyNuoqZ71xyOgw',
      'bip122:000000000019d6689c085ae165831e93',
    ])
      assert.ok(isCaip2Network(ok), ok);
    for (const bad of [
      'micromint:http://127.0.0.1:4000',
      'micromint:x',
      'EIP155:1',
      'e:1',
      'eip155',
      'eip155:',
      'eip155:1 ',
      'mmint:a.b',
      42,
      null,
      undefined,
    ])
      assert.equal(isCaip2Network(bad), false, String(bad));
    assert.equal(CAIP2_PATTERN.source, '^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$');
  });

  test('the asserter says which rule failed: TypeError for a non-string, RangeError for a wrong shape', () => {
    assert.doesNotThrow(() => assertCaip2Network('mmint:NWIRckqguyNuoqZ71xyOgw'));
    assert.throws(() => assertCaip2Network(4000, 'accepts[0].network'), {
      name: 'TypeError',
      message: /accepts\[0\]\.network must be a string/,
    });
    assert.throws(() => assertCaip2Network('micromint:http://127.0.0.1:4000'), {
      name: 'RangeError',
      message: /network must be a CAIP-2 chain id .*micromint:http/,
    });
  });
});
