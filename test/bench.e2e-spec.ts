import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describeWithRedis, redisUrl, scanKeys } from './support/redis';

/**
 * Keeps `npm run bench` working: one short round of every target, on loopback. It checks that the
 * script runs to its end and writes every figure, never how fast anything was (the figures of a
 * one-second round mean nothing; performance is judged from a real run's ratios).
 */
const root = join(__dirname, '..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
/** The node flags `npm run bench` and `npm run bench:ab` pass (bench/harness.mts says why). */
const nodeFlags = (script: string, file: string): string[] => new RegExp(`node ((?:--\\S+ )*)${file}`).exec(script)?.[1].split(' ').filter(Boolean) ?? [];

type Target = { rps: number; p50Ms: number; p99Ms: number; peakRssMb: number; cpuUsPerRequest: number; errors: number; non2xx: number };

describe('benchmark scripts (smoke: 1-second rounds; the figures are not judged here)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every target without errors and writes the figures, ratios and checks', async () => {
    const out = join(dir, 'result.json');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...nodeFlags(scripts.bench, 'bench/run.mts'), join(root, 'bench', 'run.mts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', BENCH_DURATION_S: '1', BENCH_ROUNDS: '1', BENCH_WARMUP_S: '1', BENCH_CONNECTIONS: '4', BENCH_STARTUP_ROUNDS: '1', BENCH_OUT: out },
      timeout: 120_000,
    });
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      summary: Record<string, Target>;
      ratios: Record<string, number>;
      serviceReadyMs: number;
      startup: Record<'seed' | 'service', { readyMs: number; cpuToReadyMs: number; idleRssMb: number }>;
      checks: Record<string, boolean>;
      stackOneCallsPerSession: Record<string, number>;
      settings: { rounds: number; durationS: number };
    };
    expect(Object.keys(result.summary).sort()).toEqual(['baseline', 'ceiling', 'floor', 'service', 'serviceMirror', 'serviceNoProvider', 'stackFloor']);
    for (const [name, t] of Object.entries(result.summary)) {
      expect({ name, errors: t.errors, non2xx: t.non2xx }).toEqual({ name, errors: 0, non2xx: 0 });
      expect(t.rps).toBeGreaterThan(0);
      expect(t.peakRssMb).toBeGreaterThan(0);
      expect(t.cpuUsPerRequest).toBeGreaterThan(0);
    }
    expect(Object.keys(result.ratios).sort()).toEqual([
      'floorOverBaseline',
      'serviceMirrorOverBaseline',
      'serviceMirrorOverService',
      'serviceMirrorOverStackFloor',
      'serviceNoProviderOverBaseline',
      'serviceOverBaseline',
      'serviceOverCeiling',
      'serviceOverFloor',
      'stackFloorOverBaseline',
    ]);
    for (const r of Object.values(result.ratios)) expect(r).toBeGreaterThan(0);
    expect(result.serviceReadyMs).toBeGreaterThan(0);
    // Start to ready and idle RSS of the seed and the service, met or not (never judged here).
    for (const name of ['seed', 'service'] as const) {
      expect(result.startup[name].readyMs).toBeGreaterThan(0);
      expect(result.startup[name].cpuToReadyMs).toBeGreaterThan(0);
      expect(result.startup[name].idleRssMb).toBeGreaterThan(0);
    }
    expect(typeof result.checks.throughputAtLeast1_5xBaseline).toBe('boolean');
    expect(typeof result.checks.p99NotWorseThanBaseline).toBe('boolean');
    expect(typeof result.checks.idleRssWithin130Mb).toBe('boolean');
    expect(typeof result.checks.readyWithin1000Ms).toBe('boolean');
    expect(result.checks.noErrors).toBe(true);
    // Counted at the stand-in: the preview's look-up plus the creation, and with the mirror the creation alone.
    expect(result.stackOneCallsPerSession).toEqual({ service: 2, serviceMirror: 1 });
    expect(result.checks.mirrorOneStackOneCallPerSession).toBe(true);
    expect(result.settings).toMatchObject({ rounds: 1, durationS: 1 });
    expect(stdout).toMatch(/service\/baseline [\d.]+x/);
    // The bench loads the test toolkit (test/support) through Node's type stripping, without warnings.
    expect(stderr).not.toMatch(/Warning/);
  }, 150_000);

  it('bench/ab.mts compares two builds in interleaved rounds and reports CPU per request', async () => {
    const dist = join(root, 'dist');
    const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags(scripts['bench:ab'], 'bench/ab.mts'), join(root, 'bench', 'ab.mts'), dist, dist, '2'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', AB_DURATION_S: '1', AB_WARMUP_S: '1', AB_CONNECTIONS: '4', AB_ENV_B: '{"LOG_LEVEL":"warn"}' },
      timeout: 120_000,
    });
    for (const name of ['A', 'B']) {
      const m = new RegExp(`^${name} .*: (\\d+) req/s, p99 \\d+ ms, ([\\d.]+) us CPU/request \\(rounds: \\d+, \\d+\\), peak RSS (\\d+) MB$`, 'm').exec(stdout);
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(0);
      expect(Number(m?.[2])).toBeGreaterThan(0);
      expect(Number(m?.[3])).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/^B\/A: req\/s [\d.]+, CPU per request [\d.]+$/m);
  }, 150_000);

  it('bench/inprocess.mts compares two builds in alternating in-process rounds and reports CPU per session', async () => {
    const dist = join(root, 'dist');
    const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags(scripts['bench:inprocess'], 'bench/inprocess.mts'), join(root, 'bench', 'inprocess.mts'), dist, dist, '2'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', INPROCESS_SESSIONS: '200' },
      timeout: 120_000,
    });
    for (const name of ['A', 'B']) {
      const m = new RegExp(`^${name} .*: ([\\d.]+) us CPU/session \\(rounds: \\d+, \\d+\\)$`, 'm').exec(stdout);
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/^B\/A CPU per session: median of the rounds' ratios [\d.]+ \([\d., ]+\); of the medians [\d.]+$/m);
  }, 150_000);

  const webhooksBench = async (env: Record<string, string>): Promise<string> =>
    (
      await promisify(execFile)(process.execPath, [...nodeFlags(scripts['bench:webhooks'], 'bench/webhooks.mts'), join(root, 'bench', 'webhooks.mts')], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', WEBHOOK_BENCH_COUNT: '200', BENCH_ROUNDS: '2', AB_CONNECTIONS: '4', ...env },
        timeout: 120_000,
      })
    ).stdout;
  const expectWebhookFigures = (stdout: string, queue: string): void => {
    for (const [name, label] of [['A', 'webhooks, no subscriber'], ['B', `webhooks \\+ 1 subscriber \\(${queue}\\)`]]) {
      const m = new RegExp(`^${name} ${label}: acknowledged p99 \\d+ ms, ([\\d.]+) us CPU/webhook \\(rounds: \\d+, \\d+\\), peak RSS (\\d+) MB$`, 'm').exec(stdout);
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(0);
    }
    // Warm-up (100 + 100) and two rounds of 200 for B: each acknowledged event delivered once.
    expect(stdout).toMatch(/^B\/A: CPU per webhook [\d.]+; deliveries 500, repeated 0$/m);
  };

  it('bench/webhooks.mts measures CPU per StackOne webhook with and without a subscriber (in-process queue)', async () => {
    expectWebhookFigures(await webhooksBench({}), 'in-process queue');
  }, 150_000);

  describeWithRedis('bench/webhooks.mts on Redis', () => {
    it('measures with BullMQ and deletes every key it made', async () => {
      const stdout = await webhooksBench({ WEBHOOK_BENCH_REDIS: '1', REDIS_URL: redisUrl as string });
      expectWebhookFigures(stdout, 'BullMQ in Redis');
      const prefix = /^deleted \d+ Redis keys under (\S+)$/m.exec(stdout)?.[1];
      expect(prefix).toMatch(/^bench:webhooks:[0-9a-f]{8}:$/);
      const redis = new Redis(redisUrl as string);
      try {
        expect(await scanKeys(redis, `${prefix}*`)).toEqual([]);
      } finally {
        await redis.quit();
      }
    }, 150_000);
  });
});
