import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../platform/config.ts';
import { dropDatabase } from '../platform/db/ensure-database.ts';
import { createRedis } from '../platform/redis.ts';
import { ROLE_NAMES } from '../platform/runtime/role-name.ts';
import { collect, freePort, REPO_ROOT } from './support/cli-process.ts';
import { entries, parseDockerfile, replayDockerfile, type StageState } from './support/dockerfile-replay.ts';
import { eventually } from './support/eventually.ts';
import { TEST_PG_BASE, TEST_REDIS_URL } from './support/test-env.ts';

// Replays the image without Docker (DOCKER_REPLAY_NPM=registry runs the real `npm ci`s): the
// build stage's Vite build, the runtime stage's production-only install, then the image's
// command with docker-compose.yml's environment, checked by the image's own HEALTHCHECK.
const REPLAY_WITHIN_MS = 150_000;
const HEALTHY_WITHIN_MS = 90_000;

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  image?: string;
  build?: unknown;
  depends_on?: Record<string, unknown>;
}
const compose = load(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
const envExample = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');

/** Compose's `${NAME:-default}` with nothing set: the default. */
function interpolate(value: string): string {
  return String(value).replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');
}

describe('the Dockerfile, read as written', () => {
  const image = stages.at(-1)!;
  const runs = (stage: typeof image) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  it('builds in one stage and runs from another that installs production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runs(image).some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    expect(stages.slice(0, -1).some((s) => runs(s).includes('npm run build:editor'))).toBe(true);
    expect(image.instructions.some((i) => i.keyword === 'COPY' && /--from=\S+ \S*editor\/dist/.test(i.args))).toBe(true);
  });

  it('runs as a user other than root, with a HEALTHCHECK on /healthz', () => {
    const user = image.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(image.instructions.find((i) => i.keyword === 'HEALTHCHECK')?.args).toContain('/healthz');
  });

  it('needs tsx at run time, so tsx is a production dependency', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.tsx).toBeDefined();
  });
});

describe('docker-compose.yml and .env.example', () => {
  it('has an app service on the image and worker and connector services under a profile, each a role of the one command', () => {
    const { app, worker, connector } = compose.services;
    expect(app?.build).toBeDefined();
    expect(app?.profiles).toBeUndefined();
    for (const [service, role] of [
      [worker, 'worker'],
      [connector, 'connector'],
    ] as const) {
      expect(service?.image).toBe(app?.image);
      expect(service?.profiles?.length).toBeGreaterThan(0);
      expect(service?.command).toEqual([role]);
    }
    for (const command of [app, worker, connector].map((s) => s!.command![0]!)) expect(['start', ...ROLE_NAMES]).toContain(command);
  });

  it('sets only settings the server knows, and Redis keeps every key BullMQ writes', () => {
    for (const name of Object.keys(compose.services.app!.environment!)) expect(ENV_VARIABLES).toContain(name);
    const redis = JSON.stringify(compose.services.redis);
    expect(redis).toContain('noeviction');
    expect(redis).toContain('appendonly');
  });

  it('lists every setting of platform/config.ts in .env.example, and no other', () => {
    const listed = [...envExample.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect([...new Set(listed)].sort()).toEqual([...ENV_VARIABLES].sort());
  });
});

describe('when the image is built and started as Docker would (replayed in a clean folder)', () => {
  const into = mkdtempSync(join(tmpdir(), 'onemessage-image-'));
  const id = randomBytes(6).toString('hex');
  const databaseUrl = `${TEST_PG_BASE}/om_test_image_${id}`;
  const redisPrefix = `omtest:image${id}`;
  let image: StageState;
  let child: ChildProcess | undefined;
  let output: () => { stdout: string; stderr: string } = () => ({ stdout: '', stderr: '' });
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const states = replayDockerfile(stages, {
      context: REPO_ROOT,
      into,
      npm: process.env.DOCKER_REPLAY_NPM === 'registry' ? 'registry' : 'local',
    });
    image = [...states.values()].at(-1)!;
    const port = await freePort();
    env = {
      PATH: process.env.PATH,
      ...image.env,
      ...Object.fromEntries(Object.entries(compose.services.app!.environment!).map(([k, v]) => [k, interpolate(v)])),
      // What differs on this machine: its services, a port of our own, a fresh secret key.
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      ONEMESSAGE_SECRET_KEY: randomBytes(32).toString('hex'),
      ONEMESSAGE_DATA_DIR: join(image.root, image.env.ONEMESSAGE_DATA_DIR ?? '/var/lib/onemessage'),
      LOG_LEVEL: 'warn',
    };
    const [program, ...args] = [...image.entrypoint, ...image.cmd];
    expect(program).toBe('node');
    child = spawn(process.execPath, args, { cwd: join(image.root, image.workdir), env, stdio: ['ignore', 'pipe', 'pipe'] });
    output = collect(child);
  }, REPLAY_WITHIN_MS);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    rmSync(into, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
    const redis = createRedis(TEST_REDIS_URL);
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('holds the production dependencies only, and the built editor', () => {
    const modules = join(image.root, image.workdir, 'node_modules');
    expect(entries(modules)).toContain('tsx');
    expect(entries(modules)).not.toContain('vite');
    expect(entries(modules)).not.toContain('vitest');
    expect(entries(join(image.root, image.workdir, 'editor', 'dist'))).toContain('index.html');
    expect(image.recorded.some((c) => c.startsWith('chown node'))).toBe(true);
  });

  it(
    'becomes healthy by its own HEALTHCHECK, serves the editor, and stops on SIGTERM',
    async () => {
      const [, ...check] = image.healthcheck!;
      await eventually(
        async () => {
          if (child!.exitCode !== null)
            throw new Error(`the image's command exited with ${child!.exitCode}: ${output().stderr.slice(-2000)}`);
          return spawnSync(process.execPath, check, { env, timeout: 5_000 }).status === 0 ? true : undefined;
        },
        { timeoutMs: HEALTHY_WITHIN_MS, intervalMs: 500, what: 'healthy by its HEALTHCHECK', progress: () => output().stderr.slice(-2000) },
      );

      const page = await fetch(`http://127.0.0.1:${env.PORT}/flows`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module"[^>]+src="\/assets\//);
      expect((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).status).toBe(200);

      child!.kill('SIGTERM');
      const [code] = (await once(child!, 'exit')) as [number | null];
      expect(code).toBe(0);
    },
    HEALTHY_WITHIN_MS + 20_000,
  );
});
