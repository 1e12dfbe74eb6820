/**
 * The wallet zip (extension/build/zip.ts): every file of the folder, byte for byte, under its
 * path, in sorted order, and the same bytes every time.
 * The built dist/micromint-wallet.zip is checked against dist/extension by e2e/tests/paywall.spec.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { unzipSync } from 'fflate';
import { zipDirectory } from '../build/zip.ts';

/** The zip's entries, in the order they are stored (its central directory). */
function entryOrder(zip: Uint8Array): string[] {
  const names: string[] = [];
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (view.getUint32(i, true) !== 0x02014b50) continue; // central directory file header
    const length = view.getUint16(i + 28, true);
    names.push(new TextDecoder().decode(zip.subarray(i + 46, i + 46 + length)));
  }
  return names;
}

test('the zip holds every file of the folder, byte for byte, sorted, and is the same bytes every time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micromint-zip-'));
  mkdirSync(join(dir, 'assets'));
  mkdirSync(join(dir, 'icons'));
  const files: Record<string, Uint8Array> = {
    'manifest.json': new TextEncoder().encode('{"manifest_version":3}\n'),
    'popup.html': new TextEncoder().encode('<!doctype html>'),
    'assets/popup-abc.js': new TextEncoder().encode('console.log(1)'),
    'icons/coin-16.png': Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256),
  };
  for (const [path, bytes] of Object.entries(files)) writeFileSync(join(dir, path), bytes);
  const zip = zipDirectory(dir);
  const back = unzipSync(zip);
  assert.deepEqual(Object.keys(back).sort(), Object.keys(files).sort());
  for (const [path, bytes] of Object.entries(files)) assert.deepEqual(back[path], bytes, path);
  assert.deepEqual(entryOrder(zip), ['assets/popup-abc.js', 'icons/coin-16.png', 'manifest.json', 'popup.html']);
  assert.deepEqual(zipDirectory(dir), zip, 'deterministic');
  // A changed file changes the zip.
  writeFileSync(join(dir, 'popup.html'), '<!doctype html><title>x</title>');
  assert.notDeepEqual(zipDirectory(dir), zip);
});
