/**
 * The wallet's backup file: a small versioned container that seals the backup's contents with a
 * passphrase (WebCrypto only, so the same code runs in the worker, in the pages and in Node).
 *
 * Layout of version 1, integers big-endian (also in extension/README.md, "Backup file format"):
 *
 * | offset | bytes | what |
 * |---|---|---|
 * | 0 | 8 | magic `4D 4D 57 42 0D 0A 1A 0A` ("MMWB", CR LF, ^Z, LF: a text-mode copy breaks it visibly) |
 * | 8 | 1 | file version, 1 |
 * | 9 | 1 | key derivation, 1 = PBKDF2-HMAC-SHA-256 to 32 bytes, then HKDF-SHA-256 to the key and the check |
 * | 10 | 4 | PBKDF2 iterations (100,000 to 10,000,000; 600,000 when made by this wallet) |
 * | 14 | 16 | PBKDF2 salt, random |
 * | 30 | 12 | AES-GCM IV, random |
 * | 42 | 16 | passphrase check: HKDF output beside the key, so a wrong passphrase is told from a changed file |
 * | 58 | rest | AES-256-GCM ciphertext with its 16-byte tag at the end; additional data: bytes 0..57 |
 *
 * The plaintext is the gzip of the backup's UTF-8 JSON (backup-payload.ts).
 * @module
 */
import { aint, astring, concat, equalBytes, utf8 } from '@micromint/shared';

/** The first 8 bytes of every backup file. */
export const BACKUP_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x4d, 0x57, 0x42, 0x0d, 0x0a, 0x1a, 0x0a);
/** The container version this wallet writes and reads. */
export const BACKUP_FILE_VERSION = 1;
/** Key derivation 1: PBKDF2-HMAC-SHA-256, then HKDF-SHA-256. */
export const KDF_PBKDF2_HKDF = 1;
/** Iterations the wallet uses (OWASP's figure for PBKDF2-HMAC-SHA-256). */
export const DEFAULT_ITERATIONS = 600_000;
/** Fewest iterations a file may name: below it the passphrase is too cheap to guess. */
export const MIN_ITERATIONS = 100_000;
/** Most iterations a file may name: above it a hostile file could keep the wallet busy for minutes. */
export const MAX_ITERATIONS = 10_000_000;
/** Largest backup file read or written (a wallet with dozens of production-size sets stays far below). */
export const MAX_BACKUP_BYTES = 32 * 1024 * 1024;
/** Largest plaintext a file may unpack to. */
export const MAX_PLAINTEXT_BYTES = 256 * 1024 * 1024;
/** Passphrase length bounds, in characters. */
export const MIN_PASSPHRASE_LENGTH = 10;
export const MAX_PASSPHRASE_LENGTH = 1024;

const SALT_BYTES = 16;
const IV_BYTES = 12;
const CHECK_BYTES = 16;
const TAG_BYTES = 16;
/** Bytes before the ciphertext. */
export const HEADER_BYTES = BACKUP_MAGIC.length + 1 + 1 + 4 + SALT_BYTES + IV_BYTES + CHECK_BYTES;

/** Why a backup could not be made, opened or imported. Nothing was changed when one is thrown. */
export type BackupErrorCode =
  | 'not-a-backup'
  | 'unsupported-version'
  | 'wrong-passphrase'
  | 'damaged'
  | 'too-large'
  | 'weak-passphrase'
  | 'invalid-backup'
  | 'nothing-to-move'
  | 'wallet-busy'
  | 'wrong-user'
  | 'epoch-mismatch';

/** A backup the wallet will not make, read or import, with a code the pages word. */
export class BackupError extends Error {
  override name = 'BackupError';
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What the header of a file says. */
export interface BackupHeader {
  version: number;
  kdf: number;
  iterations: number;
  salt: Uint8Array;
  iv: Uint8Array;
  check: Uint8Array;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
/** A copy with its own ArrayBuffer (WebCrypto wants `BufferSource` backed by an ArrayBuffer). */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/**
 * Checks a passphrase the wallet is asked to seal with: 10 to 1024 characters.
 * @throws BackupError `weak-passphrase`
 */
export function assertPassphrase(passphrase: unknown): asserts passphrase is string {
  astring(passphrase, 'passphrase', MAX_PASSPHRASE_LENGTH);
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH)
    throw new BackupError('weak-passphrase', `a backup passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`);
}

/** The AES key and the passphrase check, from the passphrase (NFC, so every keyboard types the same bytes). */
async function deriveKeys(passphrase: string, salt: Uint8Array, iterations: number): Promise<{ key: CryptoKey; check: Uint8Array }> {
  const base = await subtle().importKey('raw', own(utf8(passphrase.normalize('NFC'))), 'PBKDF2', false, ['deriveBits']);
  const master = await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: own(salt), iterations }, base, 256);
  const hkdf = await subtle().importKey('raw', master, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const params = (what: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: own(utf8(`micromint wallet backup v1 ${what}`)),
  });
  const key = await subtle().deriveKey(params('key'), hkdf, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const check = new Uint8Array(await subtle().deriveBits(params('check'), hkdf, CHECK_BYTES * 8));
  return { key, check };
}

function writeHeader(h: BackupHeader): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  out.set(BACKUP_MAGIC, 0);
  out[8] = h.version;
  out[9] = h.kdf;
  new DataView(out.buffer).setUint32(10, h.iterations);
  out.set(h.salt, 14);
  out.set(h.iv, 14 + SALT_BYTES);
  out.set(h.check, 14 + SALT_BYTES + IV_BYTES);
  return out;
}

/**
 * Reads and checks the header of a backup file, without the passphrase.
 * @throws BackupError `not-a-backup`, `unsupported-version`, `too-large` or `damaged`
 */
export function readHeader(file: Uint8Array): BackupHeader {
  if (!(file instanceof Uint8Array)) throw new TypeError('a backup file is bytes');
  if (file.length > MAX_BACKUP_BYTES) throw new BackupError('too-large', `a backup file is at most ${MAX_BACKUP_BYTES} bytes`);
  if (file.length < BACKUP_MAGIC.length || !equalBytes(file.subarray(0, BACKUP_MAGIC.length), BACKUP_MAGIC))
    throw new BackupError('not-a-backup', 'this is not a MicroMint wallet backup file');
  if (file.length < HEADER_BYTES + TAG_BYTES) throw new BackupError('damaged', 'the backup file is cut short');
  const version = file[8]!;
  const kdf = file[9]!;
  if (version !== BACKUP_FILE_VERSION || kdf !== KDF_PBKDF2_HKDF)
    throw new BackupError(
      'unsupported-version',
      `this backup file is of version ${version}; this wallet reads version ${BACKUP_FILE_VERSION}`,
    );
  const iterations = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(10);
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS)
    throw new BackupError('damaged', `the backup file names ${iterations} iterations, outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`);
  const at = (offset: number, n: number) => file.slice(offset, offset + n);
  return {
    version,
    kdf,
    iterations,
    salt: at(14, SALT_BYTES),
    iv: at(14 + SALT_BYTES, IV_BYTES),
    check: at(14 + SALT_BYTES + IV_BYTES, CHECK_BYTES),
  };
}

async function pipeBytes(bytes: Uint8Array, transform: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array> {
  const reader = new Blob([own(bytes)]).stream().pipeThrough(transform).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new BackupError('too-large', `the backup unpacks to more than ${limit} bytes`);
    }
    parts.push(value);
  }
  return concat(...parts);
}

/** Seals plaintexts under one passphrase: the key is derived once, each file gets its own IV. */
export interface BackupSealer {
  seal(plaintext: Uint8Array): Promise<Uint8Array>;
}

/**
 * Derives the key for `passphrase` (PBKDF2 with a random salt: the slow step) and returns a
 * sealer: gzip, then AES-256-GCM with a random IV, under the file's header as additional data.
 * @example
 * const sealer = await createSealer('correct horse battery staple');
 * const file = await sealer.seal(utf8(JSON.stringify(payload)));
 */
export async function createSealer(passphrase: string, o: { iterations?: number } = {}): Promise<BackupSealer> {
  assertPassphrase(passphrase);
  const iterations = o.iterations ?? DEFAULT_ITERATIONS;
  aint(iterations, MIN_ITERATIONS, MAX_ITERATIONS, 'iterations');
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const { key, check } = await deriveKeys(passphrase, salt, iterations);
  return {
    async seal(plaintext) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const header = writeHeader({ version: BACKUP_FILE_VERSION, kdf: KDF_PBKDF2_HKDF, iterations, salt, iv, check });
      const packed = await pipeBytes(plaintext, new CompressionStream('gzip'), MAX_BACKUP_BYTES);
      const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: own(header) }, key, own(packed)));
      const file = concat(header, sealed);
      if (file.length > MAX_BACKUP_BYTES) throw new BackupError('too-large', `the backup would be more than ${MAX_BACKUP_BYTES} bytes`);
      return file;
    },
  };
}

/**
 * Seals `plaintext` into a backup file under `passphrase` ({@link createSealer} for one file).
 * @example
 * const file = await sealBackup(utf8(JSON.stringify(payload)), 'correct horse battery staple');
 */
export async function sealBackup(plaintext: Uint8Array, passphrase: string, o: { iterations?: number } = {}): Promise<Uint8Array> {
  return (await createSealer(passphrase, o)).seal(plaintext);
}

/**
 * Opens a backup file: checks the header, derives the key, tells a wrong passphrase from a file
 * changed since it was made (the GCM tag), and unpacks the plaintext.
 * @throws BackupError `not-a-backup`, `unsupported-version`, `too-large`, `wrong-passphrase` or `damaged`
 * @example
 * const plaintext = await openBackup(file, passphrase);
 */
export async function openBackup(file: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const header = readHeader(file);
  astring(passphrase, 'passphrase', MAX_PASSPHRASE_LENGTH);
  const { key, check } = await deriveKeys(passphrase, header.salt, header.iterations);
  if (!equalBytes(check, header.check))
    throw new BackupError('wrong-passphrase', 'the passphrase does not open this backup file; nothing was imported');
  let packed: Uint8Array;
  try {
    packed = new Uint8Array(
      await subtle().decrypt(
        { name: 'AES-GCM', iv: own(header.iv), additionalData: own(file.subarray(0, HEADER_BYTES)) },
        key,
        own(file.subarray(HEADER_BYTES)),
      ),
    );
  } catch {
    throw new BackupError(
      'damaged',
      'the backup file was changed or damaged since it was made (its seal does not hold); nothing was imported',
    );
  }
  try {
    return await pipeBytes(packed, new DecompressionStream('gzip'), MAX_PLAINTEXT_BYTES);
  } catch (e) {
    if (e instanceof BackupError) throw e;
    throw new BackupError('damaged', 'the backup file does not unpack');
  }
}
