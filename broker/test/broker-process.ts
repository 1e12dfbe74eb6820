/**
 * One broker instance in a process of its own, started through the real command line
 * (`micromint-broker serve --postgres ...`): several of them on one PostgreSQL schema, behind nginx,
 * are one broker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitForPort } from '../../middleware/test/nginx.ts';

/** A running instance. */
export interface BrokerProcess {
  port: number;
  child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL: the process ends at once, in the middle of whatever it was doing. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for it to end. */
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/** Starts `micromint-broker serve` on 127.0.0.1:`port` with `args` after it, and waits until it listens. */
export async function spawnBroker(port: number, args: readonly string[]): Promise<BrokerProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@micromint/source', '--import', 'tsx', BIN, 'serve', '--port', String(port), ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await once(child, 'exit');
  };
  try {
    await waitForPort(port, child, `broker on ${port}`);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${output}`, { cause: e });
  }
  return { port, child, output: () => output, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
