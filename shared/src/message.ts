/**
 * The MicroMint-1.0 text messages (thesis Table 3-1), MIME type `application/x-micromint`:
 *
 * ```
 * MicroMint-1.0
 * <Message-Type>
 * <Header>: <value>        (zero or more)
 * Data-Size: <bytes>       (only with data: the size of the decoded data)
 * <base64 lines>
 * End-MicroMint
 * ```
 * Messages are 7-bit ASCII. Lines end in LF (CRLF is accepted). Decoding is strict: an unknown
 * type, a missing or unknown header (other than `X-` extensions), a repeated header, data where
 * none belongs or a Data-Size that does not match is a {@link MessageError}.
 * @module
 */
import { fromBase64, toBase64 } from './bytes.ts';

/** MIME type of MicroMint-1.0 messages. */
export const MICROMINT_MIME = 'application/x-micromint';
const MAGIC = 'MicroMint-1.0';
const END = 'End-MicroMint';
const BASE64_LINE = 76;
/** Largest message accepted by default (bytes of text). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

interface Schema {
  required: readonly string[];
  optional: readonly string[];
  data: 'required' | 'forbidden' | 'optional';
}

/** The six message types with their headers. */
export const MESSAGE_SCHEMAS = {
  'Funds-Withdrawn': {
    required: ['Broker', 'Withdrawal-Id', 'User-Id', 'Epoch', 'Epoch-Key', 'Params', 'Expires', 'Sets', 'Coins'],
    optional: [],
    data: 'required',
  },
  'Send-Expired': { required: ['Broker', 'User-Id', 'Epoch', 'Return-Url'], optional: [], data: 'forbidden' },
  'Request-Credit': { required: ['Broker', 'User-Id', 'Epoch', 'Balls'], optional: [], data: 'required' },
  'Request-Payment': {
    required: ['Url', 'Price', 'Vendor-Id', 'Broker', 'Epoch'],
    optional: ['Description'],
    data: 'forbidden',
  },
  Payment: { required: ['Url', 'Vendor-Id', 'User-Id', 'Epoch', 'Coins'], optional: [], data: 'required' },
  'Invalid-Payment': { required: ['Url', 'Reason', 'Coins'], optional: ['Reasons', 'Detail'], data: 'optional' },
} as const satisfies Record<string, Schema>;

/** One of the six message types. */
export type MessageType = keyof typeof MESSAGE_SCHEMAS;

/** A decoded message. Header names are in the canonical case of {@link MESSAGE_SCHEMAS}. */
export interface MicroMintMessage {
  type: MessageType;
  headers: Record<string, string>;
  data?: Uint8Array;
}

/** A message that breaks the format; `message` says where. */
export class MessageError extends Error {
  override name = 'MessageError';
}

const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const HEADER_VALUE = /^[\x20-\x7e]{0,2048}$/;

function canonicalName(type: MessageType, name: string): string | undefined {
  const schema: Schema = MESSAGE_SCHEMAS[type];
  const lower = name.toLowerCase();
  const known = [...schema.required, ...schema.optional].find((h) => h.toLowerCase() === lower);
  if (known) return known;
  return /^x-/i.test(name) ? name : undefined;
}

function checkHeaders(type: MessageType, headers: Record<string, string>, hasData: boolean): void {
  const schema: Schema = MESSAGE_SCHEMAS[type];
  for (const name of schema.required) if (headers[name] === undefined) throw new MessageError(`${type}: missing header ${name}`);
  if (schema.data === 'required' && !hasData) throw new MessageError(`${type}: data is required`);
  if (schema.data === 'forbidden' && hasData) throw new MessageError(`${type}: carries no data`);
}

/**
 * Encodes a message; throws {@link MessageError} when it would not decode.
 * @example
 * encodeMessage({ type: 'Request-Payment', headers: { Url: 'http://127.0.0.1:4001/a', Price: '2',
 *   'Vendor-Id': 'http://127.0.0.1:4001', Broker: 'http://127.0.0.1:4000', Epoch: '2026-11' } });
 */
export function encodeMessage(msg: MicroMintMessage): string {
  if (!Object.hasOwn(MESSAGE_SCHEMAS, msg.type)) throw new MessageError(`unknown message type ${msg.type}`);
  const lines = [MAGIC, msg.type];
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(msg.headers)) {
    const canonical = canonicalName(msg.type, name);
    if (!canonical || !HEADER_NAME.test(name)) throw new MessageError(`${msg.type}: unknown header ${name}`);
    if (!HEADER_VALUE.test(value)) throw new MessageError(`${msg.type}: header ${name} must be printable ASCII`);
    headers[canonical] = value;
    lines.push(`${canonical}: ${value}`);
  }
  checkHeaders(msg.type, headers, msg.data !== undefined);
  if (msg.data !== undefined) {
    lines.push(`Data-Size: ${msg.data.length}`);
    const b64 = toBase64(msg.data);
    for (let i = 0; i < b64.length; i += BASE64_LINE) lines.push(b64.slice(i, i + BASE64_LINE));
  }
  lines.push(END);
  return lines.join('\n') + '\n';
}

/**
 * Decodes and validates a message.
 * @param expected - when given, any other type is a {@link MessageError}
 * @example
 * const msg = decodeMessage(text, 'Payment');
 * msg.headers['User-Id'];
 */
export function decodeMessage(text: string, expected?: MessageType, maxBytes = MAX_MESSAGE_BYTES): MicroMintMessage {
  if (typeof text !== 'string') throw new MessageError('a message must be text');
  if (text.length > maxBytes) throw new MessageError(`message is larger than ${maxBytes} bytes`);
  if (!/^[\x00-\x7f]*$/.test(text)) throw new MessageError('message is not 7-bit ASCII');
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== MAGIC) throw new MessageError(`message must start with ${MAGIC}`);
  if (lines.at(-1) !== END) throw new MessageError(`message must end with ${END}`);
  const type = lines[1] as MessageType;
  if (!type || !Object.hasOwn(MESSAGE_SCHEMAS, type)) throw new MessageError(`unknown message type ${lines[1] ?? ''}`);
  if (expected && type !== expected) throw new MessageError(`expected a ${expected} message, got ${type}`);
  const headers: Record<string, string> = {};
  let data: Uint8Array | undefined;
  for (let i = 2; i < lines.length - 1; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(': ');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!HEADER_NAME.test(name)) throw new MessageError(`line ${i + 1}: expected "Header: value"`);
    const value = line.slice(colon + 2);
    if (!HEADER_VALUE.test(value)) throw new MessageError(`line ${i + 1}: header value must be printable ASCII`);
    if (name.toLowerCase() === 'data-size') {
      data = decodeData(value, lines.slice(i + 1, -1), i + 2);
      break;
    }
    const canonical = canonicalName(type, name);
    if (!canonical) throw new MessageError(`${type}: unknown header ${name}`);
    if (headers[canonical] !== undefined) throw new MessageError(`${type}: repeated header ${canonical}`);
    headers[canonical] = value;
  }
  checkHeaders(type, headers, data !== undefined);
  return data === undefined ? { type, headers } : { type, headers, data };
}

function decodeData(sizeText: string, lines: string[], firstLine: number): Uint8Array {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(sizeText)) throw new MessageError('Data-Size must be a whole number');
  const size = Number(sizeText);
  lines.forEach((line, j) => {
    if (!/^[A-Za-z0-9+/=]{1,76}$/.test(line)) throw new MessageError(`line ${firstLine + j}: not a base64 line`);
  });
  let data: Uint8Array;
  try {
    data = fromBase64(lines.join(''));
  } catch {
    throw new MessageError('data is not valid base64');
  }
  if (data.length !== size) throw new MessageError(`Data-Size says ${size} bytes, data has ${data.length}`);
  return data;
}

/** Reads a header that must be a whole number in [min, max]; throws {@link MessageError}. */
export function intHeader(msg: MicroMintMessage, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const text = msg.headers[name];
  if (text === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(text)) throw new MessageError(`${name} must be a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new MessageError(`${name} must be between ${min} and ${max}`);
  return n;
}
