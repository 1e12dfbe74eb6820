/**
 * `.mm` price files from memory (real files in a temp directory): a price found is used without
 * looking at the disk again, until its directory reports a change (fs.watch) or, with no watch,
 * until the re-check interval has passed; a broken file is reported once, not on every request.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PriceConfigError } from '../src/errors.ts';
import { PriceFiles } from '../src/prices.ts';
import { tempDir } from './harness.ts';

const tmp = tempDir();
after(() => tmp.cleanup());
let sites = 0;

/** A root with `a.html` priced 2 and `b.html` free. */
function site(): string {
  const root = join(tmp.dir, `site${++sites}`);
  mkdirSync(join(root, 'd'), { recursive: true });
  writeFileSync(join(root, 'd', 'a.html'), 'A');
  writeFileSync(join(root, 'd', 'a.html.mm'), '2\n');
  writeFileSync(join(root, 'd', 'b.html'), 'B');
  return root;
}

/** Polls until `check` holds; fails after 10 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const HOUR = 3_600_000;

describe('PriceFiles', () => {
  it('answers from memory: a price file removed behind its back is not looked at again within the interval', async () => {
    const root = site();
    const files = new PriceFiles(root, () => undefined, { watch: false, recheckMs: HOUR });
    assert.equal(await files.priceOf('/d/a.html'), 2);
    assert.equal(await files.priceOf('/d/b.html'), undefined);
    rmSync(join(root, 'd', 'a.html.mm'));
    writeFileSync(join(root, 'd', 'b.html.mm'), '5');
    assert.equal(await files.priceOf('/d/a.html'), 2, 'the price in memory, the disk untouched');
    assert.equal(await files.priceOf('/d/b.html'), undefined, 'no price file, as remembered');
    files.close();
  });

  it('sees an edited, a new and a removed price file at once through fs.watch', async () => {
    const root = site();
    const files = new PriceFiles(root, () => undefined, { recheckMs: HOUR });
    assert.equal(await files.priceOf('/d/a.html'), 2);
    assert.equal(await files.priceOf('/d/b.html'), undefined);
    writeFileSync(join(root, 'd', 'a.html.mm'), '7');
    await eventually('the edit is seen', async () => (await files.priceOf('/d/a.html')) === 7);
    writeFileSync(join(root, 'd', 'b.html.mm'), '3');
    await eventually('the new file is seen', async () => (await files.priceOf('/d/b.html')) === 3);
    rmSync(join(root, 'd', 'a.html.mm'));
    await eventually('the removal is seen', async () => (await files.priceOf('/d/a.html')) === undefined);
    files.close();
  });

  it('without a watch, looks again once the interval has passed', async () => {
    const root = site();
    const files = new PriceFiles(root, () => undefined, { watch: false, recheckMs: 20 });
    assert.equal(await files.priceOf('/d/a.html'), 2);
    writeFileSync(join(root, 'd', 'a.html.mm'), '9\n');
    await eventually('the edit is seen', async () => (await files.priceOf('/d/a.html')) === 9);
    files.close();
  });

  it('reports a broken file once, and answers its error from memory until it is fixed', async () => {
    const root = site();
    const reported: PriceConfigError[] = [];
    const files = new PriceFiles(root, (e) => reported.push(e));
    writeFileSync(join(root, 'd', 'b.html.mm'), 'two');
    for (let i = 0; i < 3; i++) await assert.rejects(files.priceOf('/d/b.html'), /whole number of coins/);
    assert.equal(reported.length, 1);
    writeFileSync(join(root, 'd', 'b.html.mm'), '4');
    await eventually('the fix is seen', async () => (await files.priceOf('/d/b.html').catch(() => -1)) === 4);
    assert.equal(reported.length, 1);
    files.close();
  });
});
