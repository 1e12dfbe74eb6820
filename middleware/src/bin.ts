#!/usr/bin/env node
/**
 * The `micromint-redeem` program: runs the vendor CLI ({@link main} in `cli.ts`) on the command line and exits
 * with its code. It is its own file, with no check of how it was started, so that it runs the same through a
 * `node_modules/.bin` symlink, `npx`, or `node dist/bin.js`, and importing `cli.ts` runs nothing.
 * @module
 */
import { main } from './cli.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
