import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ENV_KEYS } from '../src/app.config';

const root = join(__dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const docPages = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const markdownFiles = ['README.md', ...docPages];

/** Every NAME= or # NAME= line of .env.example. */
const exampleVariables = (): string[] => [...new Set([...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]))];

/** Markdown without fenced code blocks and inline code, so a `[x](y)` inside code is not taken for a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors GitHub gives the headings of a page (lowercase, punctuation dropped, spaces to dashes, -1 -2 for repeats). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every relative link target of a page: [text](target) and ![alt](target), external URLs left out. */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('the documentation', () => {
  it('keeps README.md at most 20,000 bytes, naming the test command', () => {
    const readme = readFileSync(join(root, 'README.md'));
    expect(readme.byteLength).toBeLessThanOrEqual(20_000);
    expect(readme.toString('utf8')).toContain('npm test');
  });

  it('documents in docs/configuration.md every variable of the env schema and of .env.example', () => {
    const page = read('docs/configuration.md');
    const variables = [...new Set([...ENV_KEYS, ...exampleVariables()])];
    // Guards against an enumeration that silently finds nothing.
    expect(ENV_KEYS.length).toBeGreaterThan(50);
    expect(exampleVariables().length).toBeGreaterThan(50);
    const missing = variables.filter((name) => !page.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('has every relative link of README.md and docs/*.md point to an existing file and heading', () => {
    const broken: string[] = [];
    for (const file of markdownFiles) {
      for (const target of relativeLinks(read(file))) {
        const [path, anchor] = target.split('#', 2) as [string, string | undefined];
        const resolved = path === '' ? join(root, file) : resolve(root, dirname(file), decodeURI(path));
        if (!resolved.startsWith(root) || !existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md') && statSync(resolved).isFile()) {
          const anchors = anchorsOf(readFileSync(resolved, 'utf8'));
          if (!anchors.has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${relative(root, resolved)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('finds links and anchors the way the check above relies on', () => {
    expect(relativeLinks('See [a](docs/a.md#x), ![i](docs/i.png "t"), [w](https://x.example) and `[c](code.md)`.')).toEqual(['docs/a.md#x', 'docs/i.png']);
    expect([...anchorsOf('# When Redis is down or slow\n## `GET /v1/events`\n## Timeouts\n## Timeouts\n')]).toEqual([
      'when-redis-is-down-or-slow',
      'get-v1events',
      'timeouts',
      'timeouts-1',
    ]);
  });
});
