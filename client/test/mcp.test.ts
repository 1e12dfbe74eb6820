/**
 * `micromint-wallet mcp` driven by the official SDK's own client: `StdioClientTransport` spawns the
 * CLI, the client lists the tools and calls them against the real shop.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openWallet } from '../src/wallet/wallet.ts';
import { startWorld, tempDir, type World } from './world.ts';

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };
const textOf = (r: unknown): string => (r as TextResult).content.map((c) => c.text).join('\n');

describe('the MCP server', () => {
  let world: World;
  let client: Client;
  let dir: string;
  before(async () => {
    world = await startWorld();
    dir = tempDir('mcp');
    const wallet = openWallet(dir);
    wallet.importFunds(await world.buy(await world.reader('agent@example.com'), 1));
    wallet.close();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', '--conditions=@micromint/source', BIN, 'mcp', '--wallet', dir],
      cwd: ROOT,
      stderr: 'pipe',
    });
    client = new Client({ name: 'micromint-test-agent', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client.close();
    await world.stop();
  });

  it('offers fetch_paid and balance, with their arguments described', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['balance', 'fetch_paid', 'pending_payments', 'resend_pending']);
    const fetchPaid = tools.find((t) => t.name === 'fetch_paid')!;
    const props = fetchPaid.inputSchema.properties as Record<string, { description?: string; type?: string }>;
    assert.deepEqual(fetchPaid.inputSchema.required, ['url']);
    assert.match(props.maxPrice!.description!, /mills/);
    assert.equal(props.maxPrice!.type, 'integer');
  });

  it('fetches and pays a paid article, and says what it paid', async () => {
    const r = (await client.callTool({
      name: 'fetch_paid',
      arguments: { url: `${world.shop.url}/articles/sourdough-at-altitude.html` },
    })) as TextResult;
    assert.equal(r.isError, undefined);
    assert.match(textOf(r), /^HTTP 200; payment paid: 0\.2¢ by micromint/);
    assert.match(textOf(r), /sourdough/i);
    assert.match(textOf(await client.callTool({ name: 'balance', arguments: {} })), /can spend .* \(\d+ mills\)/);
  });

  it('refuses over maxPrice without paying, and dry runs pay nothing', async () => {
    const url = `${world.shop.url}/articles/the-cartographers-last-map.html`;
    const before = textOf(await client.callTool({ name: 'balance', arguments: {} }));
    const over = (await client.callTool({ name: 'fetch_paid', arguments: { url, maxPrice: 5 } })) as TextResult;
    assert.equal(over.isError, true);
    assert.match(textOf(over), /^HTTP 402; payment declined: the price 0\.8¢ is over the most you pay per request \(0\.5¢\)/);
    const dry = (await client.callTool({ name: 'fetch_paid', arguments: { url, dryRun: true } })) as TextResult;
    assert.match(textOf(dry), /costs 0\.8¢/);
    assert.equal(textOf(await client.callTool({ name: 'balance', arguments: {} })), before);
  });

  it('answers bad arguments as a tool error', async () => {
    const r = (await client.callTool({ name: 'fetch_paid', arguments: { url: 'ftp://example.com/' } })) as TextResult;
    assert.equal(r.isError, true);
    assert.match(textOf(r), /invalid arguments/);
  });
});
