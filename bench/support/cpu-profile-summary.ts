import { readFile } from 'node:fs/promises';

/*
 * `tsx bench/support/cpu-profile-summary.ts <file.cpuprofile> [top]`: where a CPU profile's time
 * went, as text: self time by function, by source (a package of node_modules, a file of ours),
 * and total (inclusive) time by function of ours, so that a profile of a role process under
 * load can be read without a browser.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function sourceOf(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const ours = /\/(api|platform|engine|connectors|cli|bench)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

async function main(): Promise<void> {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/support/cpu-profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const totalMs = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${sourceOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

  const selfByFunction = new Map<string, number>();
  const selfBySource = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const n = byId.get(id)!;
    selfByFunction.set(label(n), (selfByFunction.get(label(n)) ?? 0) + ms);
    selfBySource.set(sourceOf(n.callFrame.url), (selfBySource.get(sourceOf(n.callFrame.url)) ?? 0) + ms);
    // Inclusive time of each frame of ours on the stack, counted once per sample however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!;
      const key = label(node);
      if (seen.has(key) || !/^(api|platform|engine|connectors)\//.test(sourceOf(node.callFrame.url))) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n## ${title}`);
    for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${k}`);
  };
  console.log(`${file}: ${totalMs.toFixed(0)} ms sampled`);
  print('self time by source', selfBySource);
  print('self time by function', selfByFunction);
  print('inclusive time by function of ours', inclusive);
}

await main();
