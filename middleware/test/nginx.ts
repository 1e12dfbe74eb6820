/**
 * A real nginx in front of several vendor instances, for tests and the bench: a config generated in
 * a temp folder (pid, logs and temp files there too), one worker, round robin over the upstreams,
 * on a loopback port. Without nginx installed the tests fail, saying how to install it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { tempDir } from './harness.ts';

/** nginx's binary: $NGINX, else the first on PATH or in /usr/sbin. */
export function nginxBinary(): string | undefined {
  const candidates = [process.env.NGINX, ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nginx')), '/usr/sbin/nginx'];
  return candidates.find((c): c is string => {
    if (!c) return false;
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A running nginx. */
export interface Nginx {
  url: string;
  port: number;
  /** Its error log so far (for a failing test's message). */
  log(): string;
  close(): Promise<void>;
}

/**
 * The configuration. Paid requests carry a payment header and may get a large 402 back, so the header
 * buffers are raised from nginx's 4-8 KiB. On a connection error or a timeout nginx tries the other
 * instance (`proxy_next_upstream error timeout`), which it does for a POST only when the first
 * instance never received it: a POST that reached an instance is never re-sent, so a paid action
 * runs at most once. A GET may be re-sent after reaching an instance that then failed; the other
 * instance then finds the same payment recorded and serves it as the replay it is, paid once.
 */
export function nginxConfig(o: { dir: string; port: number; upstreams: readonly string[] }): string {
  const temp = (name: string) => `${name}_temp_path ${join(o.dir, name)};`;
  return `worker_processes 1;
pid ${join(o.dir, 'nginx.pid')};
error_log ${join(o.dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  large_client_header_buffers 4 64k;
  upstream vendors {
    ${o.upstreams.map((u) => `server ${u} max_fails=1 fail_timeout=30s;`).join('\n    ')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${o.port};
    location / {
      proxy_pass http://vendors;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_buffer_size 64k;
      proxy_buffers 8 64k;
      proxy_busy_buffers_size 128k;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
    }
  }
}
`;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`, or rejects when `child` exits first. */
export async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited || child.exitCode !== null) throw new Error(`${what} exited before listening on ${port}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts nginx on 127.0.0.1:`port`, balancing over `upstreams` (`host:port`). */
export async function startNginx(port: number, upstreams: readonly string[]): Promise<Nginx> {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed: apt-get install nginx-light (scripts/setup.sh does it)');
  const tmp = tempDir('mm-nginx-');
  // Run as root, nginx's workers run as `nobody`: they must reach the temp folders.
  chmodSync(tmp.dir, 0o755);
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(tmp.dir, d));
  const conf = join(tmp.dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir: tmp.dir, port, upstreams }));
  const errorLog = join(tmp.dir, 'error.log');
  const child = spawn(binary, ['-p', tmp.dir, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = (): string => {
    let text = stderr;
    try {
      text += readFileSync(errorLog, 'utf8');
    } catch {
      // not written yet
    }
    return text;
  };
  try {
    await waitForPort(port, child, 'nginx');
  } catch (e) {
    tmp.cleanup();
    throw new Error(`${(e as Error).message}: ${log()}`, { cause: e });
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      tmp.cleanup();
    },
  };
}
