/**
 * Registering both schemes with an x402 client in one call, on the network of the wallet's broker
 * (`micromintNetwork(broker)` from `@micromint/shared`: the network id is never parsed, the broker's
 * URL travels in `extra.broker`).
 * @module
 */
import { micromintNetwork } from '@micromint/shared';
import { WalletError } from '../errors.ts';
import type { Wallet } from '../wallet/wallet.ts';
import { micromintScheme, paywordScheme, type MicroMintSchemeClient, type SchemeClientOptions } from './scheme-client.ts';

/** What `register` needs of an x402 client (`x402Client` of `@x402/core/client`). */
export interface X402ClientLike<C> {
  register(network: `${string}:${string}`, client: MicroMintSchemeClient): C;
}

/**
 * Registers `micromint` and `payword` for the wallet's broker (or `options.broker`).
 * @throws WalletError `no-broker` when neither is known.
 * @example
 * const client = registerMicroMint(new x402Client(), wallet);
 * const paidFetch = wrapFetchWithPayment(fetch, client);
 */
export function registerMicroMint<C extends X402ClientLike<C>>(
  client: C,
  wallet: Wallet,
  options: SchemeClientOptions & { broker?: string } = {},
): C {
  const broker = options.broker ?? wallet.brokerUrl;
  if (!broker) throw new WalletError('no-broker', 'the wallet has no broker yet: pass options.broker or run `micromint-wallet login`');
  const network = micromintNetwork(broker) as `${string}:${string}`;
  client.register(network, micromintScheme(wallet, options));
  client.register(network, paywordScheme(wallet, options));
  return client;
}
