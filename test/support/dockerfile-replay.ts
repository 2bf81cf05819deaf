import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';

/**
 * Replays a Dockerfile without a Docker engine: each stage becomes a folder standing for the
 * image's file system, COPY copies from the build context (minus .dockerignore) or from an
 * earlier stage, and RUN executes the few commands it knows. An unknown RUN command throws, so
 * the replay cannot silently drift from the Dockerfile.
 *
 * `npm ci` needs the registry. By default the replay installs from this checkout's node_modules
 * instead, by hard links: everything for `npm ci`, and for `npm ci --omit=dev` only the packages
 * package-lock.json does not mark `dev` (what npm would install). `DOCKER_REPLAY_NPM=registry`
 * runs the real commands.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** The instructions of a Dockerfile grouped by stage (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  let pending = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (pending && trimmed.startsWith('#')) continue;
    if (!pending) startLine = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    const full = (pending + trimmed).trim();
    pending = '';
    const match = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (!match) throw new Error(`Dockerfile line ${startLine}: cannot read "${full}"`);
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: startLine };
    if (instruction.keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`Dockerfile line ${startLine}: cannot read FROM ${instruction.args}`);
      stages.push({ base: from[1]!, name: from[2] ?? String(stages.length), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${startLine}: ${instruction.keyword} before FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

/** An exec-form argument list (`["node", "x"]`); shell form is refused, it would need a shell in the image. */
export function execForm(instruction: Instruction): string[] {
  const args = instruction.args.replace(/^(--\S+\s+)+/, '').replace(/^CMD\s+/, '');
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} must be in exec form`);
  return parsed as string[];
}

/** `ENV A=1 B=2` → { A: '1', B: '2' } (unquoted values only: the Dockerfile uses no others). */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of args.split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`ENV ${args}: use KEY=value pairs`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[] | null;
  /** Commands that change nothing a test can see as non-root (chown), recorded for assertions. */
  recorded: string[];
}

export interface ReplayOptions {
  context: string;
  /** Folder that stands for the images (one sub-folder per stage). */
  into: string;
  npm?: 'local' | 'registry';
  log?: (line: string) => void;
}

/** Replays every stage in order; answers the state of each, the last one being the image. */
export function replayDockerfile(stages: Stage[], opts: ReplayOptions): Map<string, StageState> {
  const ignore = readDockerignore(opts.context);
  const states = new Map<string, StageState>();
  for (const stage of stages) {
    const state: StageState = {
      root: join(opts.into, stage.name),
      workdir: '/',
      env: {},
      user: 'root',
      entrypoint: [],
      cmd: [],
      healthcheck: null,
      recorded: [],
    };
    mkdirSync(state.root, { recursive: true });
    const inImage = (p: string) => join(state.root, posix.resolve(state.workdir, p));
    for (const ins of stage.instructions) {
      opts.log?.(`${stage.name}: ${ins.keyword} ${ins.args}`);
      switch (ins.keyword) {
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, ins.args);
          mkdirSync(inImage('.'), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, parseEnv(ins.args));
          break;
        case 'USER':
          state.user = ins.args;
          break;
        case 'EXPOSE':
          break;
        case 'ENTRYPOINT':
          state.entrypoint = execForm(ins);
          break;
        case 'CMD':
          state.cmd = execForm(ins);
          break;
        case 'HEALTHCHECK':
          state.healthcheck = execForm(ins);
          break;
        case 'COPY':
          copy(ins, state, states, opts.context, ignore, inImage);
          break;
        case 'RUN':
          for (const command of ins.args.split('&&').map((c) => c.trim())) run(command, ins, state, inImage, opts);
          break;
        default:
          throw new Error(`Dockerfile line ${ins.line}: the replay does not know ${ins.keyword}`);
      }
    }
    states.set(stage.name, state);
  }
  return states;
}

function copy(
  ins: Instruction,
  state: StageState,
  states: Map<string, StageState>,
  context: string,
  ignore: RegExp[],
  inImage: (p: string) => string,
): void {
  const words = ins.args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  const dest = paths.pop()!;
  if (paths.length === 0) throw new Error(`Dockerfile line ${ins.line}: COPY needs a source and a destination`);
  for (const src of paths) {
    let source: string;
    if (from) {
      const stage = states.get(from);
      if (!stage) throw new Error(`Dockerfile line ${ins.line}: no stage named ${from} before this one`);
      source = join(stage.root, src);
    } else {
      source = resolve(context, src);
      if (relative(context, source).startsWith('..')) throw new Error(`Dockerfile line ${ins.line}: ${src} is outside the build context`);
    }
    if (!existsSync(source))
      throw new Error(`Dockerfile line ${ins.line}: COPY ${src}: not found${from ? ` in stage ${from}` : ' in the build context'}`);
    const isDir = statSync(source).isDirectory();
    const target = dest.endsWith('/') || paths.length > 1 ? join(inImage(dest), isDir ? '' : posix.basename(src)) : inImage(dest);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target, {
      recursive: true,
      filter: (file) => from !== undefined || !ignore.some((re) => re.test(relative(context, file).split('\\').join('/'))),
    });
  }
}

function run(command: string, ins: Instruction, state: StageState, inImage: (p: string) => string, opts: ReplayOptions): void {
  const cwd = inImage('.');
  const env = { ...process.env, ...state.env };
  const words = command.split(/\s+/);
  const is = (...expected: string[]) => words.length === expected.length && expected.every((w, i) => words[i] === w);
  if (is('npm', 'ci') || is('npm', 'ci', '--omit=dev')) {
    if (!existsSync(join(cwd, 'package-lock.json')))
      throw new Error(`Dockerfile line ${ins.line}: npm ci without package-lock.json in ${state.workdir}`);
    if (opts.npm === 'registry') {
      execFileSync('npm', words.slice(1), { cwd, env, stdio: 'pipe' });
      return;
    }
    linkInstalledPackages(opts.context, cwd, words.includes('--omit=dev'));
  } else if (is('npm', 'cache', 'clean', '--force')) {
    // Nothing of the cache is in the replay.
  } else if (words[0] === 'npm' && words[1] === 'run' && words.length === 3) {
    // The build stage runs with the image's environment, not the test's (vitest sets NODE_ENV=test).
    execFileSync('npm', ['run', words[2]!], { cwd, env: { ...env, NODE_ENV: state.env.NODE_ENV ?? '' }, stdio: 'pipe' });
  } else if (words[0] === 'mkdir' && words[1] === '-p') {
    for (const dir of words.slice(2)) mkdirSync(inImage(dir), { recursive: true });
  } else if (words[0] === 'chown') {
    state.recorded.push(command);
  } else {
    throw new Error(`Dockerfile line ${ins.line}: the replay does not know "${command}" (test/support/dockerfile-replay.ts)`);
  }
}

/** What `npm ci [--omit=dev]` would install, hard-linked from the checkout's node_modules. */
function linkInstalledPackages(context: string, cwd: string, omitDev: boolean): void {
  const lock = JSON.parse(readFileSync(join(cwd, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const wanted = Object.entries(lock.packages)
    .filter(([path, meta]) => path.startsWith('node_modules/') && !(omitDev && meta.dev))
    .map(([path]) => path)
    .filter((path) => existsSync(join(context, path))) // optional packages for other platforms are absent
    .sort();
  // A package folder brings its nested node_modules; link the outermost ones only.
  const outermost = omitDev ? wanted.filter((path, i) => !wanted.slice(0, i).some((p) => path.startsWith(`${p}/`))) : ['node_modules'];
  for (let i = 0; i < outermost.length; i += 200) {
    execFileSync('cp', ['-al', '--parents', ...outermost.slice(i, i + 200), cwd], { cwd: context });
  }
  if (omitDev) {
    // Nested dev-only packages came with their parent folder: remove them as npm would not install them.
    for (const [path, meta] of Object.entries(lock.packages)) {
      if (meta.dev && path.includes('/node_modules/', 'node_modules/'.length) && existsSync(join(cwd, path)))
        execFileSync('rm', ['-rf', join(cwd, path)]);
    }
  }
}

/** .dockerignore lines as regular expressions over paths relative to the context. */
function readDockerignore(context: string): RegExp[] {
  const file = join(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((pattern) => {
      const body = pattern
        .replace(/^\/+|\/+$/g, '')
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      // A pattern names a path and everything under it.
      return new RegExp(`^${body}(/.*)?$`);
    });
}

/** Lists a folder's entries (for assertions on what the image holds). */
export function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
