/**
 * Payment ids as row numbers of the SQLite store. `newPaymentId()` writes `pay_` + 12 hex of the
 * time in ms + 2 hex of a sequence within the ms + 10 random hex. Such an id names its row:
 * (ms - {@link ID_BASE_MS}) * {@link ID_SLOTS} + sequence, and the row keeps the 5 random bytes
 * (the tag) to tell it from another id of the same row. The rows of a store are then
 * in the order the payments were made, and finding a payment by its id needs no index.
 * @module
 */

/** The time of row 0: 2025-01-01T00:00:00Z. Rows of later ids are small numbers (7 bytes in the file until 2095). */
export const ID_BASE_MS = Date.UTC(2025, 0, 1);
/** Row numbers per millisecond (the sequence byte of the id). */
export const ID_SLOTS = 256;
/** How far in the future an id's time may be and still name a row (clock skew between processes). */
const MAX_AHEAD_MS = 86_400_000;

const ID_FORM = /^pay_([0-9a-f]{12})([0-9a-f]{12})$/;

/** The row an id names, and the tag the row keeps; undefined for ids of any other form or time. */
export function rowOfId(id: string, now = Date.now()): { row: number; tag: Buffer } | undefined {
  const m = ID_FORM.exec(id);
  if (!m) return undefined;
  const ms = parseInt(m[1]!, 16);
  if (ms < ID_BASE_MS || ms > now + MAX_AHEAD_MS) return undefined;
  const rest = Buffer.from(m[2]!, 'hex');
  return { row: (ms - ID_BASE_MS) * ID_SLOTS + rest[0]!, tag: rest.subarray(1) };
}

/** The time (ms since 1970) of a row that an id named. */
export const timeOfRow = (row: number): number => ID_BASE_MS + Math.floor(row / ID_SLOTS);

/** The id of a row that an id named, from its number and tag. */
export const idOfRow = (row: number, tag: Uint8Array): string =>
  `pay_${timeOfRow(row).toString(16).padStart(12, '0')}${(row % ID_SLOTS).toString(16).padStart(2, '0')}${Buffer.from(tag.buffer, tag.byteOffset, tag.byteLength).toString('hex')}`;
