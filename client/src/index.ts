/**
 * @micromint/client: pay MicroMint and PayWord 402s from Node. A durable wallet (SQLite), a `fetch`
 * that pays (`wrapFetch`, `paymentOf`), spending caps, the price catalog, x402 client plugins for
 * both schemes, the broker's token API (login, buy, return), and the MCP server of
 * `micromint-wallet mcp`.
 * @module
 */
export { BrokerError, CapExceededError, InsufficientFundsError, UnpayableError, WalletError, type CapKind } from './errors.ts';

export { openWallet, Wallet, type WalletOptions } from './wallet/wallet.ts';
export { defaultWalletDir, readConfig, writeConfig, TOKEN_PATTERN, type WalletConfig } from './wallet/config.ts';
export { DEFAULT_CAPS, CAP_WINDOW_MS, MAX_CAP_MILLS, validateCaps, type Caps } from './wallet/caps.ts';
export type { Balance } from './wallet/balance.ts';
export type { HistoryEntry, HistoryKind } from './wallet/history.ts';
export type { PaymentRecord, PaymentState, CoinRefusal, LinkRange } from './wallet/payments.ts';
export type { ChainRecord } from './wallet/chains.ts';
export { SCHEMA_VERSION } from './wallet/migrations.ts';

export { wrapFetch, type Fetch, type WrapFetchOptions } from './pay/wrap-fetch.ts';
export { paymentOf, type PaymentInfo, type PaymentStatus } from './pay/payment-info.ts';
export { quote, type PriceQuote } from './pay/quote.ts';
export {
  resendPending,
  resendPayment,
  findPayment,
  NEVER_SENT,
  MAX_RESEND_LIMIT,
  type ResendOptions,
  type ResendOutcome,
  type ResendResult,
} from './pay/resend.ts';
export {
  fetchCatalog,
  catalogPrice,
  schemeCosts,
  CATALOG_PATH,
  type Catalog,
  type CatalogEntry,
  type CatalogPrice,
} from './pay/catalog.ts';
export { readChallenge, challengeOf, type Challenge, type Offer } from './pay/challenge.ts';
export { classifyAnswer } from './pay/answer.ts';
// The wallets' shared rules (`@micromint/shared`), which this wallet follows like the extension.
export {
  chooseScheme,
  newChainLength,
  chainLifetime,
  DEFAULT_CHAIN_POLICY,
  isLoopbackHost,
  type ChainPolicy,
  type ChoiceInput,
  type Choice,
  type CoinFacts,
  type ChainFacts,
  type ChainStatus,
  type ImportResult,
} from '@micromint/shared';

export { BrokerClient, type Me, type PurchaseAnswer, type LedgerEntry, type ReturnWindow } from './broker/api.ts';
export { login, type LoginResult } from './account/login.ts';
export { buy, type BuyResult } from './account/buy.ts';
export { returnCoins, type EpochReturn } from './account/returns.ts';

export { micromintScheme, paywordScheme, type MicroMintSchemeClient, type SchemeClientOptions } from './x402/scheme-client.ts';
export { registerMicroMint } from './x402/register.ts';

export { createMcpServer, runMcpServer } from './mcp/server.ts';
export { main as runCli } from './cli/main.ts';
