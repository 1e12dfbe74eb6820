/**
 * Where the CLI writes: results to stdout (human lines, or one JSON document with `--json`), what
 * was paid and progress to stderr. Progress goes only to a terminal and never with `--json`.
 * @module
 */

/** The streams a command writes to. */
export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A command's output. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly streams: Streams = { stdout: process.stdout, stderr: process.stderr },
  ) {}

  /** A line for people on stdout (nothing with `--json`). */
  line(text: string): void {
    if (!this.json) this.streams.stdout.write(text + '\n');
  }

  /** The command's result: JSON with `--json`, else the human `text`. */
  result(value: unknown, text: string): void {
    if (this.json) this.streams.stdout.write(JSON.stringify(value, null, 2) + '\n');
    else if (text) this.streams.stdout.write(text + '\n');
  }

  /** Raw bytes on stdout (a fetched body). */
  body(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.streams.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  /** A note on stderr (what was paid, a warning). With `--json`, `value` is written as JSON instead. */
  note(text: string, value?: unknown): void {
    if (this.json && value !== undefined) this.streams.stderr.write(JSON.stringify(value) + '\n');
    else if (!this.json) this.streams.stderr.write(text + '\n');
  }

  /** Progress of long work, on a terminal only. */
  progress(text: string): void {
    if (!this.json && this.streams.stderr.isTTY) this.streams.stderr.write(`\r\x1b[K${text}`);
  }

  /** Ends a progress line. */
  progressDone(): void {
    if (!this.json && this.streams.stderr.isTTY) this.streams.stderr.write('\r\x1b[K');
  }

  /** An error, on stderr: `{ "error": code, "message" }` with `--json`. */
  error(code: string, message: string): void {
    if (this.json) this.streams.stderr.write(JSON.stringify({ error: code, message }) + '\n');
    else this.streams.stderr.write(`micromint-wallet: ${message}\n`);
  }
}
