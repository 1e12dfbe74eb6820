/**
 * Child processes of the pack test, each bounded in time: commands run to their end ({@link run}) and servers
 * kept until {@link stopAll} ({@link start}). Every child leads its own process group, so stopping one also stops
 * what it started (`npx` starts `node`).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { delimiter, sep } from 'node:path';

/** How a command ended. */
export interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A server started by {@link start}. */
export interface Server {
  url: string;
  /** What it printed so far. */
  output(): string;
}

const children = new Set<ChildProcess>();

/** The last lines of a process's output, for an error message. */
const tail = (text: string, lines = 40): string => text.trimEnd().split('\n').slice(-lines).join('\n');

/**
 * The environment of a fresh shell: the PATH without any `node_modules/.bin` (so `npx` finds only what the
 * project installed), and none of npm's `npm_*` variables or NODE_OPTIONS from the run that started the test
 * (a `--conditions=@micromint/source` there would send an installed package to its `.ts` sources).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NODE_OPTIONS$|INIT_CWD$)/i.test(k)) env[k] = v;
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes(`node_modules${sep}.bin`))
    .join(delimiter);
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

function spawnChild(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Runs `cmd args` in `cwd` to its end and resolves with its exit code and output; rejects, having killed it,
 * once it runs past `timeoutMs`.
 * @example
 * const { code, stdout } = await run('npm', ['--version'], { cwd: '.', what: 'npm', timeoutMs: 10_000 });
 */
export function run(
  cmd: string,
  args: string[],
  o: { cwd: string; what: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, o.cwd, o.env ?? cleanEnv());
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      kill(child, 'SIGKILL');
      reject(new Error(`${o.what} did not finish within ${o.timeoutMs / 1000} s (stopped it). Its output:\n${tail(stdout + stderr)}`));
    }, o.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${o.what} could not start: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like {@link run}, but rejects with the output unless the command exits 0. */
export async function runOk(cmd: string, args: string[], o: Parameters<typeof run>[2]): Promise<Done> {
  const done = await run(cmd, args, o);
  if (done.code !== 0) throw new Error(`${o.what} exited with ${done.code}. Its output:\n${tail(done.stdout + done.stderr)}`);
  return done;
}

/**
 * Starts a server and resolves once `url` + `readyPath` answers below 500; rejects with its output when it exits
 * first or is not up within `timeoutMs`.
 */
export async function start(
  cmd: string,
  args: string[],
  o: { cwd: string; what: string; url: string; readyPath: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Server> {
  const child = spawnChild(cmd, args, o.cwd, o.env ?? cleanEnv());
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${o.what} exited with ${child.exitCode} before it answered. Its output:\n${tail(log)}`);
    try {
      if ((await fetch(o.url + o.readyPath, { signal: AbortSignal.timeout(5_000) })).status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      kill(child, 'SIGKILL');
      throw new Error(`${o.what} did not answer ${o.url + o.readyPath} within ${o.timeoutMs / 1000} s. Its output:\n${tail(log)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url: o.url, output: () => log };
}

/** Stops every child still running: SIGTERM, then SIGKILL after two seconds. */
export async function stopAll(): Promise<void> {
  const left = [...children];
  for (const child of left) kill(child, 'SIGTERM');
  const gone = Promise.all(
    left.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))),
  );
  const timer = setTimeout(() => left.forEach((c) => kill(c, 'SIGKILL')), 2_000);
  await gone;
  clearTimeout(timer);
}
