#!/usr/bin/env node
/**
 * The `micromint-broker` program: runs the broker's CLI ({@link main} in `cli.ts`) on the command line. A usage
 * error prints the usage and exits 2; a bad option value or a failure prints one line (the whole error with
 * `MICROMINT_DEBUG=1`) and exits 1. It is its own file, with no check
 * of how it was started, so that it runs the same through a `node_modules/.bin` symlink, `npx`, or
 * `node dist/bin.js`, and importing `cli.ts` runs nothing.
 * @module
 */
import { main, USAGE, UsageError } from './cli.ts';

/** parseArgs's errors for an unknown option, a missing value, a stray positional. */
const isParseError = (e: unknown): e is Error =>
  e instanceof TypeError && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError || isParseError(e)) {
    console.error(`error: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  // An operator reads a message, not a stack: MICROMINT_DEBUG=1 prints the whole error.
  if (process.env.MICROMINT_DEBUG === '1' || !(e instanceof Error)) console.error(e);
  else console.error(`error: ${e.message}`);
  process.exit(1);
});
