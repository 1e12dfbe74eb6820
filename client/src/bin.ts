#!/usr/bin/env node
/**
 * The `micromint-wallet` executable: runs the command line and exits with its code.
 * @module
 */
import { main } from './cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
