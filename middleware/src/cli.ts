/**
 * Vendor command line (MMVendorRedeem: coins and payword chains), installed as `micromint-redeem`
 * (the program is `bin.ts`, which runs {@link main}):
 *
 * ```
 * npx micromint-redeem redeem --db <file> --broker <url> [--api-key <key>] [--batch-size 500]
 * npx micromint-redeem stats  --db <file>
 * npx micromint-redeem redeem --postgres <url> [--schema micromint] --broker <url>
 * ```
 * The API key may also come from the environment variable `MICROMINT_API_KEY`; the Postgres URL
 * (which holds a password) from `MICROMINT_POSTGRES_URL`, given as `--postgres env`.
 * @module
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatMoney } from '@micromint/shared';
import { RedeemError } from './errors.ts';
import { chainDeadlines, chainDeadlineWarning, deadlineWarning, redeemDeadlines, redeemPending, type RedeemReport } from './redeem.ts';
import { assertPostgresUrl } from './postgres-options.ts';
import { PostgresVendorStore } from './postgres-store.ts';
import { keptBrokerTerms } from './schemes/payword-keys.ts';
import { SqliteVendorStore } from './sqlite-store.ts';
import type { VendorStats } from './store.ts';

const USAGE = `Usage:
  micromint-redeem redeem --db <file> --broker <url> [--api-key <key>] [--batch-size <n>]
  micromint-redeem stats  --db <file>
  (or --postgres <url> [--schema <name>] in place of --db)

  --db          the vendor's SQLite file (the middleware's dbPath)
  --postgres    the vendor's PostgreSQL store (the middleware's \`postgres\` option), a
                postgres:// URL, or "env" to read it from $MICROMINT_POSTGRES_URL
  --schema      the store's PostgreSQL schema (default micromint)
  --broker      broker base URL, e.g. http://127.0.0.1:4000
  --api-key     the vendor's API key (default: $MICROMINT_API_KEY)
  --batch-size  coins (and chains) per redemption batch (default 500)
`;

/** Formats rows as a left-aligned text table. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The report of a redemption run as text: the coins, then the chains cleared. */
export function formatReport(report: RedeemReport): string {
  if (report.batches.length === 0) return 'Nothing to redeem: no pending coins or chains.';
  const batchName = (b: RedeemReport['batches'][number]) => b.batchId + (b.retry ? ' (retry)' : '');
  const out: string[] = [];
  if (report.batches.some((b) => b.sent > 0)) {
    const rows = report.batches.flatMap((b) =>
      b.results.map((r) => [batchName(b), r.coinId.slice(0, 16), r.status, r.reason ?? '', r.url ?? '']),
    );
    const refused = report.refused.length;
    out.push(
      table(['batch', 'coin', 'status', 'reason', 'url'], rows),
      '',
      `Credited ${report.credited} coins (${report.creditedMills} mills, ${formatMoney(report.creditedMills)}); refused ${refused}.`,
    );
  }
  if (report.batches.some((b) => b.chainsSent > 0)) {
    const rows = report.batches.flatMap((b) =>
      b.chains.map((c) => [
        batchName(b),
        c.chainId.slice(0, 16),
        c.status,
        c.reason ?? '',
        String(c.clearedIndex),
        String(c.paidUnits),
        String(c.paidMills),
      ]),
    );
    const cleared = report.chains.filter((c) => c.status === 'cleared').length;
    const links = report.chains.reduce((n, c) => n + c.paidUnits, 0);
    if (out.length) out.push('');
    out.push(
      table(['batch', 'chain', 'status', 'reason', 'cleared to', 'links', 'mills'], rows),
      '',
      `Cleared ${cleared} chain${cleared === 1 ? '' : 's'}: ${links} links, ${report.chainMills} mills (${formatMoney(report.chainMills)}).` +
        (rows.length < report.batches.reduce((n, b) => n + b.chainsSent, 0)
          ? ' Some chains were not answered: they are sent again next run.'
          : ''),
    );
  }
  return out.join('\n');
}

/** Store counts as text. */
export function formatStats(s: VendorStats): string {
  return table(
    ['what', 'count'],
    [
      ['payments', String(s.payments)],
      ['coins', String(s.coins)],
      ['  pending', String(s.pending)],
      ['  in an unanswered batch', String(s.inOpenBatch)],
      ['  credited', String(s.credited)],
      ['  refused by the broker', String(s.refused)],
      ['refused payment attempts', String(s.refusals)],
      ['redemption batches', String(s.batches)],
      ['  unanswered', String(s.openBatches)],
      ['payword chains', String(s.chains)],
      ['  to clear', String(s.chainsToClear)],
      ['payword payments', String(s.chainPayments)],
    ],
  );
}

/** The store to open, or why not (exit code 2 for a usage error, 1 for a missing file). */
type Opened = { store: SqliteVendorStore | PostgresVendorStore } | { code: 1 | 2; why: string };

/** The store the options name: the SQLite file of `--db`, or the PostgreSQL store of `--postgres` (and `--schema`). */
function openStore(values: { db?: string; postgres?: string; schema?: string }): Opened {
  if ((values.db === undefined) === (values.postgres === undefined)) return { code: 2, why: 'give one of --db and --postgres' };
  if (values.db !== undefined) {
    if (values.schema !== undefined) return { code: 2, why: '--schema goes with --postgres' };
    if (!existsSync(values.db)) return { code: 1, why: `no database at ${values.db}` };
    return { store: new SqliteVendorStore(values.db) };
  }
  const url = values.postgres === 'env' ? process.env.MICROMINT_POSTGRES_URL : values.postgres;
  try {
    assertPostgresUrl(url, '--postgres');
    return { store: new PostgresVendorStore({ connectionString: url, ...(values.schema !== undefined ? { schema: values.schema } : {}) }) };
  } catch (e) {
    return { code: 2, why: (e as Error).message };
  }
}

/**
 * Runs the CLI with `argv` (without node and script); returns the exit code: 0 done, 1 failed, 2 a usage
 * error (no command, an unknown one, a missing option: the usage goes to `err`).
 * @example
 * process.exitCode = await main(['stats', '--db', 'micromint-vendor.db']);
 */
export async function main(
  argv: string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        postgres: { type: 'string' },
        schema: { type: 'string' },
        broker: { type: 'string' },
        'api-key': { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === 'help') {
    out(USAGE);
    return 0;
  }
  if (!command) {
    err(`a command is required\n\n${USAGE}`);
    return 2;
  }
  if (command !== 'redeem' && command !== 'stats') {
    err(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const opened = openStore(values);
  if (!('store' in opened)) {
    err(opened.code === 2 ? `${opened.why}\n\n${USAGE}` : opened.why);
    return opened.code;
  }
  const { store } = opened;
  try {
    if (command === 'stats') {
      out(formatStats(await store.stats()));
      return 0;
    }
    const apiKey = values['api-key'] ?? process.env.MICROMINT_API_KEY;
    if (!values.broker || !apiKey) {
      err(`redeem needs --broker and --api-key (or MICROMINT_API_KEY)\n\n${USAGE}`);
      return 2;
    }
    const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
    try {
      const report = await redeemPending({ store, broker: values.broker, apiKey, ...(batchSize !== undefined ? { batchSize } : {}) });
      out(formatReport(report));
      return 0;
    } catch (e) {
      if (e instanceof RedeemError || e instanceof RangeError || e instanceof TypeError) {
        err(`redeem failed: ${e.message}`);
        return 1;
      }
      throw e;
    } finally {
      // Coins still pending of an epoch whose redemption period (kept from the broker) ends soon,
      // and chains whose clearing deadline (expiresAt + the broker's clearGraceSeconds) nears.
      for (const d of redeemDeadlines(await store.pendingByEpoch(), await store.epochs(), Date.now())) err(deadlineWarning(d));
      const grace = (await keptBrokerTerms(store, values.broker.replace(/\/+$/, '')))?.clearGraceSeconds;
      for (const d of chainDeadlines(await store.unclearedChains(), grace, Date.now())) err(chainDeadlineWarning(d));
    }
  } finally {
    await store.close();
  }
}
