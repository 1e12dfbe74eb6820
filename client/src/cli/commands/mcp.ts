/**
 * `micromint-wallet mcp`: the MCP server for agents, over stdio (see mcp/server.ts).
 * @module
 */
import { runMcpServer } from '../../mcp/server.ts';
import { EXIT } from '../exit-codes.ts';
import { parse, walletDir, withWallet, type Command } from '../command.ts';

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve the wallet to an agent (MCP over stdio): fetch_paid, balance, pending',
  help: `Usage: micromint-wallet mcp

Runs an MCP server on stdin/stdout with these tools: fetch_paid { url, maxPrice?, dryRun? } GETs a
URL and pays its 402 within the wallet's caps (maxPrice, in mills, can only lower them); balance;
pending_payments and resend_pending { paymentId? } (payments awaiting an answer, sent again). For an agent's configuration: command "micromint-wallet", args ["mcp"].`,
  async run(ctx) {
    const { values } = parse(ctx.args, {});
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      await runMcpServer(wallet);
      return EXIT.ok;
    });
  },
};
