/**
 * Type-checked in the outside project by the pack test: the packages' declarations resolve through their
 * `exports` (`types`) and are real types, not `any` (else the `@ts-expect-error` lines would be unused errors).
 */
import { formatMoney, type EpochParams } from '@micromint/shared';
import { testEpoch } from '@micromint/shared/testing';
import { micromint, SqliteVendorStore } from '@micromint/middleware';
import { createBroker, type BrokerOptions } from '@micromint/broker';

export const pay = micromint({ vendorId: 'http://127.0.0.1:3000', broker: 'http://127.0.0.1:4000', root: 'public' });
export const price: string = formatMoney(2);
export const epoch: EpochParams = testEpoch();
export const store = (path: string) => new SqliteVendorStore(path);
export const options: Partial<BrokerOptions> = { dbPath: 'broker.db' };
export const broker = typeof createBroker;

// @ts-expect-error: vendorId is a string
micromint({ vendorId: 1, broker: 'http://127.0.0.1:4000' });
// @ts-expect-error: formatMoney takes mills as a number
formatMoney('2');
