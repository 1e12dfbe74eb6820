/** The machine's SHA-256 bar: `openssl speed -bytes 64 sha256`, per core and on all cores. */
import { execFileSync } from 'node:child_process';

/** 64-byte SHA-256 hashes per second (each is two compressions: 64 bytes plus padding), or null without openssl. */
export function opensslSha256PerSecond(processes = 1, seconds = 2): number | null {
  const args = ['speed', '-seconds', String(seconds), '-bytes', '64', ...(processes > 1 ? ['-multi', String(processes)] : []), 'sha256'];
  try {
    const out = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const line = out.split('\n').find((l) => /^sha256\s+[\d.]+k/.test(l.trim()));
    if (!line) return null;
    const kbytes = Number(/([\d.]+)k/.exec(line)![1]);
    return (kbytes * 1000) / 64;
  } catch {
    return null;
  }
}
