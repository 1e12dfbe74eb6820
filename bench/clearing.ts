/**
 * Broker clearing speed: chains authorized at a real broker (loopback, SQLite file), then cleared
 * through `POST /api/redeem` in batches, each chain paid for the links revealed. The broker's
 * test helpers sign up a user, register the vendor and connect a wallet key, as its tests do.
 */
import { newAgreementKey, newSigningKey, toBase64 } from '@micromint/shared';
import { Browser, chainRequestBody, clearEntry, makeChain, postJson, startBroker, type TestChain } from '../broker/test/helpers.ts';

export interface ClearingRow {
  chains: number;
  linksPerChain: number;
  chainsPerSecond: number;
  linksPerSecond: number;
}

/** Authorizes `chains` chains of `length` links and clears each at index `length` in batches of `batch`. */
export async function measureClearing(chains = 1000, length = 20, batch = 500): Promise<ClearingRow> {
  const tb = await startBroker({
    redeemsPerMinute: 100_000,
    redeemsPerMinutePerAddress: 100_000,
    chainsPerMinute: 100_000,
    chainsPerMinutePerAddress: 100_000,
    maxDepositMills: 10_000_000,
  });
  try {
    const vendorId = 'http://127.0.0.1:4799';
    const alice = new Browser(tb.base);
    const userId = await alice.signUp('bench@example.com');
    await alice.addFunds(String((chains * length) / 1000 + 1));
    const wallet = newSigningKey();
    await alice.connectWallet(toBase64(wallet.publicKey));
    const apiKey = (await postJson(`${tb.base}/api/vendors`, { origin: vendorId, name: 'bench' })).json.apiKey as string;
    const vendorKey = newAgreementKey().publicKey;
    await fetch(`${tb.base}/api/vendors/payword-key`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ key: toBase64(vendorKey) }),
    });
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const opened: TestChain[] = [];
    for (let i = 0; i < chains; i++) {
      const c = makeChain({ broker: tb.base, userId, vendorId, vendorKey, length, value: 1, expiresAt });
      const r = await postJson(`${tb.base}/api/payword/chains`, chainRequestBody(c, wallet));
      if (r.status !== 201) throw new Error(`bench chain not authorized: ${r.status} ${JSON.stringify(r.json)}`);
      opened.push(c);
    }
    const bodies = [];
    for (let i = 0; i < opened.length; i += batch)
      bodies.push({ batchId: `bench-${i}`, chains: opened.slice(i, i + batch).map((c) => clearEntry(c, length)) });
    const start = performance.now();
    for (const body of bodies) {
      const r = await postJson(`${tb.base}/api/redeem`, body, { authorization: `Bearer ${apiKey}` });
      if (r.status !== 200 || r.json.chains.some((c: { status: string }) => c.status !== 'cleared'))
        throw new Error(`bench clearing failed: ${r.status}`);
    }
    const s = (performance.now() - start) / 1000;
    return { chains, linksPerChain: length, chainsPerSecond: chains / s, linksPerSecond: (chains * length) / s };
  } finally {
    await tb.stop();
  }
}
