/**
 * Starts a minting thread. Under tsx (this file is `.ts`) a worker cannot load a `.ts` entry through
 * `execArgv: ['--import', 'tsx']` on Node 20 (the entry is resolved before the hooks apply), so the worker
 * starts from a one-line script that registers tsx's ESM hooks and then imports `worker.ts`. Compiled (this file
 * is `dist/mint/spawn.js` of the installed package), the worker is `worker.js` beside it, found from this file's
 * URL, so it works wherever the package is installed.
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { DoneMessage, MintJob, WorkerMessage } from './protocol.ts';

function startWorker(job: MintJob): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const entry = new URL('./worker.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(boot, { eval: true, workerData: job });
  }
  return new Worker(new URL('./worker.js', self), { workerData: job });
}

/**
 * Runs `job` on a new thread; `onHashes` receives progress. Resolves with the worker's result.
 * @example
 * const done = await runInWorker({ key, seed, t: 4, u: 8, v: 6, fixed: 3, start: 0, end: 1e6 }, () => {});
 */
export function runInWorker(job: MintJob, onHashes: (n: number) => void): Promise<DoneMessage> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(job);
    let result: DoneMessage | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onHashes(m.hashes);
      else result = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`minting thread exited with code ${code} before it finished`));
    });
  });
}
