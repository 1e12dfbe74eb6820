/** Running client scripts and the CLI as real child processes (Node with the tsx loader, over the sources). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, where `tsx` resolves. */
const root = fileURLToPath(new URL('../../', import.meta.url));

/** A running child: its output so far, a promise of its exit, and a way to wait for a line. */
export interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout has a line matching `pattern` (rejects if the child exits first). */
  line(pattern: RegExp): Promise<string>;
}

/**
 * Starts `node --import tsx <script> ...args` with the source condition, `env` added to this
 * process's. One process (no wrapper), so a SIGKILL ends the very process that paid.
 */
export function run(script: string | URL, args: string[], env: Record<string, string> = {}, input?: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@micromint/source', fileURLToPath(script), ...args], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    waiters.forEach((w) => w());
  });
  child.stderr!.on('data', (d) => (err += d));
  if (input !== undefined) child.stdin!.end(input);
  else child.stdin!.end();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      waiters.forEach((w) => w());
    }),
  );
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exit,
    line(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = out.split('\n').find((l) => pattern.test(l));
          if (hit !== undefined) resolve(hit);
          else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`exited before ${pattern}: ${out}\n${err}`));
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Runs to the end; resolves with the exit code and output. */
export async function runToEnd(script: string | URL, args: string[], env: Record<string, string> = {}, input?: string) {
  const child = run(script, args, env, input);
  const { code } = await child.exit;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}
