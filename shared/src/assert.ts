/**
 * Named asserters for values that cross a module boundary.
 * A wrong type is a `TypeError`, a value of the right type but out of range is a `RangeError`.
 * @module
 */

/** Throws `TypeError` unless `value` is a `Uint8Array`, and `RangeError` unless it has `length` bytes. */
export function abytes(value: unknown, length?: number, name = 'value'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
}

/** Throws `TypeError` unless `value` is a safe integer, and `RangeError` unless `min <= value <= max`. */
export function aint(value: unknown, min: number, max: number, name = 'value'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer`);
  if (value < min || value > max) throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
}

/** Throws `TypeError` unless `value` is a string, and `RangeError` unless it is 1..`maxLength` long and matches `pattern`. */
export function astring(value: unknown, name = 'value', maxLength = 2048, pattern?: RegExp): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (value.length === 0 || value.length > maxLength) throw new RangeError(`${name} must be 1 to ${maxLength} characters long`);
  if (pattern && !pattern.test(value)) throw new RangeError(`${name} has an invalid format`);
}

/** Throws `TypeError` unless `value` is a plain object (not null, not an array). */
export function aobject(value: unknown, name = 'value'): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${name} must be an object`);
}
