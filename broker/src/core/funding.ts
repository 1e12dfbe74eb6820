/**
 * How money comes into an account. A real deployment plugs a card processor in here; the default moves no money.
 * @module
 */
import { randomBytes } from 'node:crypto';

/** A request to charge a user. */
export interface FundingCharge {
  userId: string;
  email: string;
  amountMills: number;
}

/** The outcome of a charge. `reference` is the provider's transaction reference, kept in the ledger. */
export type FundingResult = { ok: true; reference: string } | { ok: false; message: string };

/**
 * A way to add funds (card processor, bank transfer...). `charge` must only resolve `ok` once the money is secured.
 * @example
 * const provider: FundingProvider = { id: 'card', label: 'Card', charge: async (c) => ({ ok: true, reference: 'ch_1' }) };
 */
export interface FundingProvider {
  /** Stable identifier used in forms, e.g. `sandbox`. Letters, digits, `-` and `_`. */
  id: string;
  /** What the user sees. */
  label: string;
  /** Optional longer explanation under the label. */
  description?: string;
  charge(charge: FundingCharge): Promise<FundingResult>;
}

/**
 * The default provider: every charge succeeds and no money moves. Clearly labelled as such everywhere.
 * @example
 * createBroker({ dbPath, publicUrl, fundingProviders: [new SandboxFunding()] });
 */
export class SandboxFunding implements FundingProvider {
  readonly id = 'sandbox';
  readonly label = 'Sandbox: no real money moves';
  readonly description = 'For demos and tests: the balance goes up, nobody is charged.';
  async charge(c: FundingCharge): Promise<FundingResult> {
    if (!Number.isSafeInteger(c.amountMills) || c.amountMills <= 0) return { ok: false, message: 'amount must be positive' };
    return { ok: true, reference: `sandbox_${randomBytes(8).toString('hex')}` };
  }
}
