import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/cli-process.ts';

const DIST_INDEX = join(REPO_ROOT, 'editor/dist/index.html');
/** What the bundle is built from: the editor, its static files and the parts of the engine it imports (flows, broadcasts, contacts). */
const SOURCES = ['editor/src', 'editor/static', 'editor/index.html', 'editor/vite.config.ts', 'engine'];

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, entry) => Math.max(max, newestMtimeMs(join(path, entry))), stat.mtimeMs);
}

/**
 * Builds editor/dist when it is missing or older than its sources, as `npm start` would, so the
 * browser tests always run the code under test and never a stale bundle.
 */
export function ensureEditorBuilt(): void {
  const sourcesAt = Math.max(...SOURCES.map((s) => newestMtimeMs(join(REPO_ROOT, s))));
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= sourcesAt) return;
  const vite = join(REPO_ROOT, 'node_modules/vite/bin/vite.js');
  // NODE_ENV=production: vitest's NODE_ENV=test would otherwise give React's development build.
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'editor/vite.config.ts', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`editor build failed:\n${result.stdout}\n${result.stderr}`);
}
