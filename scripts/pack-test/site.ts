/**
 * The outside project of the pack test: a folder with a package.json, the static site of `site/` (a free page,
 * a paid article and its `.mm` price file), a TypeScript consumer of the packages' types, and `server.mjs` and
 * `server.cjs` taken as they are from middleware/README.md, so that the README's install section is what runs.
 * @module
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;

/**
 * The code of the README's ```js block whose first line is `// <name>`.
 * @example
 * readmeFile(readFileSync('middleware/README.md', 'utf8'), 'server.mjs'); // "// server.mjs: run it ..."
 */
export function readmeFile(readme: string, name: string): string {
  const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  const block = blocks.find((code) => code.startsWith(`// ${name}`));
  if (!block) throw new Error(`middleware/README.md has no \`\`\`js block whose first line is "// ${name}"`);
  return block;
}

/** Writes the project into `dir` (which exists, outside the repository); `readme` is middleware/README.md. */
export function writeSite(dir: string, readme: string): void {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'outside-site', version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n',
  );
  cpSync(join(here, 'site'), dir, { recursive: true });
  for (const name of ['server.mjs', 'server.cjs']) writeFileSync(join(dir, name), readmeFile(readme, name));
}

/** middleware/README.md of the repository at `repoRoot`. */
export const middlewareReadme = (repoRoot: string): string => readFileSync(join(repoRoot, 'middleware', 'README.md'), 'utf8');
