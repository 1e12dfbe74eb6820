/**
 * `micromint-wallet`: the command line of the Node wallet. `main` runs one command and resolves
 * with its exit code (see exit-codes.ts); it never throws, and prints no stack trace.
 * @module
 */
import { WalletError } from '../errors.ts';
import { balanceCommand } from './commands/balance.ts';
import { buyCommand } from './commands/buy.ts';
import { getCommand } from './commands/get.ts';
import { historyCommand } from './commands/history.ts';
import { loginCommand } from './commands/login.ts';
import { logoutCommand } from './commands/logout.ts';
import { mcpCommand } from './commands/mcp.ts';
import { pendingCommand } from './commands/pending.ts';
import { resendCommand } from './commands/resend.ts';
import { returnCommand } from './commands/return.ts';
import type { Command, CommandContext } from './command.ts';
import { EXIT, exitCodeOf, messageOf, UsageError } from './exit-codes.ts';
import { Output, type Streams } from './output.ts';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  loginCommand,
  buyCommand,
  balanceCommand,
  getCommand,
  pendingCommand,
  resendCommand,
  historyCommand,
  returnCommand,
  mcpCommand,
  logoutCommand,
];

/** The general help. */
export const HELP = `Usage: micromint-wallet <command> [options]

A wallet for scripts and agents: pays MicroMint and PayWord 402s within spending caps.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join('\n')}

Options of every command:
  --wallet, -w DIR   the wallet directory (default $MICROMINT_WALLET, else ~/.micromint)
  --json             machine-readable output (JSON on stdout; notes and errors as JSON on stderr)
  --help, -h         help for the command

Exit codes: 0 done, 1 error (or the site answered 4xx/5xx), 2 usage, 3 payment not made
(over a cap or --max-price, no funds, refused), 4 broker or site unreachable.

Caps (in config.json of the wallet directory, "caps", in mills): perRequest 50, perHostPerDay
1000, perDay 5000 by default.`;

/** What `main` runs with (tests pass their own). */
export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  streams?: Streams;
  readStdin?: () => Promise<string>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.length > 4096) break;
  }
  return text;
}

/**
 * Runs the command line `argv` (without `node` and the script).
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], o: MainOptions = {}): Promise<number> {
  const streams = o.streams ?? { stdout: process.stdout, stderr: process.stderr };
  const json = argv.includes('--json');
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    streams.stdout.write(HELP + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  const out = new Output(json, streams);
  if (!command) {
    out.error('usage', `unknown command ${JSON.stringify(name)}; see micromint-wallet --help`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    streams.stdout.write(command.help + '\n');
    return EXIT.ok;
  }
  const ctx: CommandContext = {
    args,
    env: o.env ?? process.env,
    readStdin: o.readStdin ?? (() => readAll(process.stdin)),
    output: (j) => new Output(j, streams),
  };
  try {
    return await command.run(ctx);
  } catch (e) {
    const code =
      e instanceof WalletError ? e.code : e instanceof UsageError ? 'usage' : exitCodeOf(e) === EXIT.network ? 'network' : 'error';
    out.error(code, messageOf(e));
    return exitCodeOf(e);
  }
}
