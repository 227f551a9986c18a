import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { launchNode } from './support/processes';

const root = join(__dirname, '..');

interface JestJson {
  success: boolean;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { name: string; assertionResults: { status: string }[] }[];
}

/** Runs Jest itself on a few specs, without REDIS_URL or a browser, and reads its --json summary. */
async function jest(specs: string[], env: Record<string, string>): Promise<{ summary: JestJson; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'scs-meta-'));
  const out = join(dir, 'result.json');
  try {
    const jestRun = await launchNode([join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--runInBand', '--ci', '--json', `--outputFile=${out}`, ...specs], {
      cwd: root,
      env: { NODE_OPTIONS: '--experimental-vm-modules', CHROMIUM_PATH: join(dir, 'no-chromium'), ...env },
      stdout: 'ignore',
    });
    await jestRun.closed;
    return { summary: JSON.parse(readFileSync(out, 'utf8')) as JestJson, stderr: jestRun.output() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const statuses = (summary: JestJson, spec: string): string[] =>
  summary.testResults.find((r) => r.name.endsWith(spec))?.assertionResults.map((a) => a.status) ?? ['(spec not run)'];

describe('suites that cannot run here', () => {
  const redisSpec = 'src/throttling/redis-throttler.storage.spec.ts';
  const browserSpec = 'test/browser.e2e-spec.ts';

  it('are reported by Jest as skipped, not passed, with one stderr line saying why', async () => {
    const { summary, stderr } = await jest([redisSpec, browserSpec], {});
    // Every test of both suites is pending (skipped), however many they hold.
    for (const spec of [redisSpec, browserSpec]) {
      const seen = statuses(summary, spec);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(['pending']));
    }
    expect([summary.numPassedTests, summary.numFailedTests, summary.success]).toEqual([0, 0, true]);
    expect(stderr).toMatch(/\[skipped\] "RedisThrottlerStorage": REDIS_URL is unset/);
    expect(stderr).toMatch(/\[skipped\] "the whole flow in a real browser": no Chromium at /);
  }, 60_000);

  it('fail when REQUIRE_REDIS_TEST=1 / REQUIRE_BROWSER_TEST=1 (as .ci/run sets)', async () => {
    const { summary } = await jest([redisSpec, browserSpec], { REQUIRE_REDIS_TEST: '1', REQUIRE_BROWSER_TEST: '1' });
    expect(statuses(summary, redisSpec)).toEqual(['failed']);
    expect(statuses(summary, browserSpec)).toEqual(['failed']);
    expect(summary.success).toBe(false);
  }, 60_000);
});

describe('the promtool suite without promtool', () => {
  const spec = 'test/deploy-prometheus.e2e-spec.ts';
  // Only the promtool suite (-t), and a PATH holding nothing but Node, so no promtool is found.
  const run = (env: Record<string, string>): ReturnType<typeof jest> => jest([spec, '-t', 'through promtool'], { PATH: dirname(process.execPath), ...env });

  it('is skipped with a line saying why, and fails under REQUIRE_PROMTOOL_TEST=1 (as .ci/run sets)', async () => {
    const skipped = await run({});
    expect([skipped.summary.numPassedTests, skipped.summary.numFailedTests, skipped.summary.success]).toEqual([0, 0, true]);
    expect(skipped.stderr).toMatch(/\[skipped\] "deploy\/prometheus through promtool": no promtool/);
    const required = await run({ REQUIRE_PROMTOOL_TEST: '1' });
    expect(statuses(required.summary, spec)).toContain('failed');
    expect(required.summary.success).toBe(false);
  }, 60_000);
});

describe('npm run test:unit / test:e2e / npm test', () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  /** The specs the script's Jest command would run (`--listTests`), relative to the root. */
  const listed = (script: string): string[] => {
    const args = scripts[script].replace(/^NODE_OPTIONS=\S+ jest /, '').split(' ');
    const out = spawnSync(process.execPath, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), ...args, '--listTests'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--experimental-vm-modules' },
      encoding: 'utf8',
    });
    return out.stdout.split('\n').filter((l) => l.startsWith('/')).map((l) => l.slice(root.length + 1)).sort();
  };

  it('test:unit runs the specs next to the code, test:e2e those in test/, npm test each of them once', () => {
    const unit = listed('test:unit');
    const e2e = listed('test:e2e');
    const all = listed('test');
    expect(unit.length).toBeGreaterThan(10);
    expect(unit.every((f) => f.startsWith('src/') && f.endsWith('.spec.ts'))).toBe(true);
    expect(e2e.length).toBeGreaterThan(10);
    expect(e2e.every((f) => f.startsWith('test/') && f.endsWith('.e2e-spec.ts'))).toBe(true);
    expect(e2e).toContain('test/test-support.e2e-spec.ts');
    expect(all).toEqual([...unit, ...e2e].sort());
    expect(new Set(all).size).toBe(all.length);
  }, 60_000);
});

describe('passing tests print no error logs', () => {
  it('the @CurrentTenant() misuse test captures the 500 it logs', async () => {
    const spec = 'src/auth/auth.module.spec.ts';
    const { summary, stderr } = await jest([spec], {});
    expect(summary.success).toBe(true);
    expect(stderr).not.toMatch(/ERROR|InternalServerErrorException/);
  }, 60_000);
});

describe('npm ci on an older system Node', () => {
  const postinstall = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.postinstall;
  // As npm runs it: node_modules/.bin first on PATH, npm's user agent naming the Node that runs npm.
  const run = (npmNode: string): string =>
    spawnSync('sh', ['-c', postinstall], {
      cwd: root,
      env: { PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, npm_config_user_agent: `npm/11.0.0 node/${npmNode} linux x64 workspaces/false` },
      encoding: 'utf8',
    }).stdout;

  it('explains the EBADENGINE warnings right after them when npm runs on another Node', () => {
    const out = run('v20.20.2');
    expect(out).toContain('EBADENGINE warnings above are about Node v20.20.2');
    expect(out).toContain(`runs on Node ${process.version} from node_modules/.bin`);
  });

  it('says nothing when npm already runs on the project Node', () => {
    expect(run(process.version)).toBe('');
  });
});
