/**
 * `micromint-wallet mcp`: an MCP server (the official `@modelcontextprotocol/sdk`, over stdio) that
 * lets an agent pay for what it fetches, from the wallet and under its caps:
 * - `fetch_paid` `{ url, maxPrice?, dryRun? }`: GETs the URL, paying a 402; `maxPrice` (mills) can
 *   only lower the wallet's per-request cap, never raise it: an agent does not set its own limits;
 * - `balance`: what the wallet holds;
 * - `pending_payments`: payments whose answer never came (their money locked);
 * - `resend_pending` `{ paymentId? }`: sends those again, byte for byte, and applies the answers
 *   (pays nothing new; see pay/resend.ts).
 * Refusals (over a cap, no funds, a refused payment) are tool results with `isError`, never thrown.
 *
 * The tools are declared on the SDK's `Server` with JSON Schemas made by this package's zod 4
 * (`z.toJSONSchema`), and their arguments checked with it: the SDK's `McpServer` converts schemas
 * with its own zod, which drops the descriptions and bounds of schemas made by another zod version.
 * @module
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { formatMoney } from '@micromint/shared';
import { paymentOf } from '../pay/payment-info.ts';
import { quote } from '../pay/quote.ts';
import { resendPayment, resendPending, type ResendResult } from '../pay/resend.ts';
import { wrapFetch, type Fetch } from '../pay/wrap-fetch.ts';
import { MAX_CAP_MILLS } from '../wallet/caps.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** The most of a body a tool result carries, in characters. */
export const MAX_BODY_CHARS = 100_000;

/** The server's name and version, as it introduces itself. */
export const SERVER_INFO = { name: 'micromint-wallet', version: '0.1.0' } as const;

const TEXTUAL = /^(text\/|application\/(json|xml|javascript|[a-z.+-]*\+(json|xml))\b)/i;

/** The body as text for the agent: textual types up to {@link MAX_BODY_CHARS}, else a note. */
async function bodyText(res: Response): Promise<string> {
  const type = res.headers.get('content-type') ?? '';
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (type && !TEXTUAL.test(type)) return `(a ${type} body of ${bytes.length} bytes, not shown)`;
  const text = new TextDecoder().decode(bytes);
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}\n… (${text.length - MAX_BODY_CHARS} more characters cut)` : text;
}

const text = (t: string, isError = false) => ({ content: [{ type: 'text' as const, text: t }], ...(isError ? { isError: true } : {}) });

/** The `fetch_paid` tool's arguments. */
export const FetchPaidInput = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .describe('the http(s) URL to GET'),
    maxPrice: z
      .int()
      .min(0)
      .max(MAX_CAP_MILLS)
      .optional()
      .describe('the most to pay for this request, in mills (1 mill = $0.001); it only lowers the wallet\u2019s cap'),
    dryRun: z.boolean().optional().describe('report the price and pay nothing'),
  })
  .strict();

/** The `balance` tool takes no arguments. */
export const BalanceInput = z.object({}).strict();

/** The `pending_payments` tool takes no arguments. */
export const PendingInput = z.object({}).strict();

/** The `resend_pending` tool's arguments. */
export const ResendInput = z
  .object({
    paymentId: z
      .string()
      .regex(/^[0-9a-f-]{8,36}$/i)
      .optional()
      .describe('one payment (its id, or its first 8 or more characters, from pending_payments); every pending payment when left out'),
  })
  .strict();

type ToolResult = ReturnType<typeof text>;

/** One tool: its name, description, argument schema and handler. */
interface Tool<S extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: S;
  readOnly: boolean;
  run(args: z.infer<S>): Promise<ToolResult>;
}

const tool = <S extends z.ZodType>(t: Tool<S>): Tool<S> => t;

/** The wallet's tools. */
function tools(wallet: Wallet, fetchFn: Fetch) {
  return [
    tool({
      name: 'fetch_paid',
      title: 'Fetch a URL, paying its price',
      description:
        'GETs an http(s) URL. If the site asks for payment (HTTP 402, MicroMint or PayWord), pays it from the wallet within its spending caps and fetches again. ' +
        'Prices are in mills (1 mill = $0.001). Give maxPrice to pay at most that much for this URL; dryRun only reports the price.',
      input: FetchPaidInput,
      readOnly: false,
      run: ({ url, maxPrice, dryRun }) => fetchPaid(wallet, fetchFn, url, maxPrice, dryRun === true),
    }),
    tool({
      name: 'balance',
      title: 'Wallet balance',
      description: 'What the wallet can still spend, in mills (1 mill = $0.001): coins and PayWord chains, and its spending caps.',
      input: BalanceInput,
      readOnly: true,
      run: async () => balanceText(wallet),
    }),
    tool({
      name: 'pending_payments',
      title: 'Payments awaiting an answer',
      description:
        'Payments that went out but got no verdict from the site (an error, a lost connection): their money stays locked until resend_pending sends them again.',
      input: PendingInput,
      readOnly: true,
      run: async () => pendingText(wallet),
    }),
    tool({
      name: 'resend_pending',
      title: 'Send pending payments again',
      description:
        'Sends payments awaiting an answer again, exactly as they were made, and applies the sites\u2019 answers: paid stays paid, money the site gives back returns to the wallet. Pays nothing new.',
      input: ResendInput,
      readOnly: false,
      run: ({ paymentId }) => resendText(wallet, fetchFn, paymentId),
    }),
  ];
}

function pendingText(wallet: Wallet): ToolResult {
  const list = wallet.pending();
  if (list.length === 0) return text('No payments are awaiting an answer.');
  const now = Date.now();
  const lines = list.map(
    (p) =>
      `${p.id}: ${p.price} mills by ${p.scheme} for ${p.method} ${p.url}, sent ${p.attempts} time(s), made ${Math.round((now - p.createdAt) / 1000)} s ago`,
  );
  return text(`${list.length} payment(s) awaiting an answer:\n${lines.join('\n')}`);
}

async function resendText(wallet: Wallet, fetchFn: Fetch, paymentId: string | undefined): Promise<ToolResult> {
  let results: ResendResult[];
  try {
    results = paymentId ? [await resendPayment(wallet, paymentId, { fetch: fetchFn })] : await resendPending(wallet, { fetch: fetchFn });
  } catch (e) {
    return text((e as Error).message, true);
  }
  if (results.length === 0) return text('No payments are awaiting an answer.');
  const lines = results.map(
    (r) =>
      `${r.paymentId}: ${r.outcome} (${r.priceMills} mills by ${r.scheme} for ${r.url}; ${r.priceMills - r.spentMills} mills back${r.reason ? `; ${r.reason}` : ''})`,
  );
  const bad = results.some((r) => r.outcome === 'refused' || r.outcome === 'unreachable' || r.outcome === 'pending');
  return text(lines.join('\n'), bad);
}

async function fetchPaid(wallet: Wallet, fetchFn: Fetch, url: string, maxPrice: number | undefined, dryRun: boolean): Promise<ToolResult> {
  const caps = wallet.caps;
  if (maxPrice !== undefined) caps.perRequest = Math.min(caps.perRequest ?? maxPrice, maxPrice);
  if (dryRun) {
    const q = await quote(fetchFn, wallet, url, { caps });
    if (q.source === 'free') return text(`${url} is free (HTTP ${q.status}).`);
    const options = q.options.map((x) => `${x.scheme} ${x.mills} mills`).join(', ');
    return text(
      `${url} costs ${formatMoney(q.mills)} (${options}). ${q.error ? `It would not be paid: ${q.error.message}` : 'It is within the caps.'}`,
      !!q.error,
    );
  }
  let res: Response;
  try {
    res = await wrapFetch(fetchFn, { wallet, caps })(url);
  } catch (e) {
    return text(`fetching ${url} failed: ${(e as Error).message}`, true);
  }
  const paid = paymentOf(res);
  const what =
    paid &&
    (paid.status === 'declined'
      ? paid.error?.message
      : `${formatMoney(paid.priceMills)} by ${paid.scheme}${paid.reason ? ` (${paid.reason})` : ''}`);
  const head = `HTTP ${res.status}${paid ? `; payment ${paid.status}: ${what}` : ''}`;
  return text(`${head}\n\n${await bodyText(res)}`, paid?.status === 'declined' || paid?.status === 'refused' || res.status >= 400);
}

function balanceText(wallet: Wallet): ToolResult {
  const b = wallet.balance();
  const c = wallet.caps;
  return text(
    `The wallet can spend ${formatMoney(b.total)} (${b.total} mills): ${b.coins} mills in coins, ${b.chains} mills in ${b.openChains.length} open chain(s)` +
      `${b.pending ? `; ${b.pending} mills are in payments awaiting an answer` : ''}. Caps: ${c.perRequest ?? 'no limit'} mills a request, ` +
      `${c.perHostPerDay ?? 'no limit'} mills a site a day, ${c.perDay ?? 'no limit'} mills a day.`,
  );
}

/**
 * The MCP server over `wallet` (the SDK's `Server`, the tools' JSON Schemas from their zod schemas).
 * @example
 * const server = createMcpServer(wallet);
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(wallet: Wallet, o: { fetch?: Fetch } = {}): Server {
  const fetchFn = o.fetch ?? ((input, init) => fetch(input, init));
  const list = tools(wallet, fetchFn);
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: list.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: z.toJSONSchema(t.input) as { type: 'object'; [key: string]: unknown },
      annotations: { readOnlyHint: t.readOnly, openWorldHint: !t.readOnly },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const t = list.find((x) => x.name === request.params.name);
    if (!t) throw new McpError(ErrorCode.InvalidParams, `no tool ${request.params.name}`);
    const args = t.input.safeParse(request.params.arguments ?? {});
    if (!args.success) return text(`invalid arguments: ${z.prettifyError(args.error)}`, true);
    return (t.run as (a: unknown) => Promise<ToolResult>)(args.data);
  });
  return server;
}

/** Runs the server over stdio until stdin ends (the client went away). */
export async function runMcpServer(wallet: Wallet): Promise<void> {
  const server = createMcpServer(wallet);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  process.stdin.once('end', () => void server.close());
  await server.connect(transport);
  await closed;
}
