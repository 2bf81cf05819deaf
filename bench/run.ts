import { runBroadcastBench } from './broadcast.bench.ts';
import { runEditorBench } from './editor.bench.ts';
import { runIngressBench } from './ingress.bench.ts';
import { runEngagementBench } from './broadcast-engagement.bench.ts';
import { runEngineBench } from './engine.bench.ts';
import { runImportBench } from './import.bench.ts';
import { runRegexTriggersBench } from './regex-triggers.bench.ts';
import { runRoutingBench } from './routing.bench.ts';
import { runRetentionBench } from './retention.bench.ts';
import { runRetentionPartitionsBench } from './retention-partitions.bench.ts';

/** The benches `npm run bench -- <name>` knows, each taking the arguments that follow its name. */
const BENCHES: Record<string, { summary: string; run: (args: string[]) => Promise<void> }> = {
  broadcast: {
    summary: '100k contacts, a 50k segment: snapshot + enqueue time, unpaced send rate, auto-reply latency meanwhile',
    run: runBroadcastBench,
  },
  engagement: {
    summary: 'reply and opt-out rates of a 100k-recipient broadcast against the recipient counts every broadcast page already reads',
    run: runEngagementBench,
  },
  ingress: {
    summary: 'HTTP connections posting to the sandbox and webhook-channel inbound routes, a new sender each, against the in-process engine',
    run: runIngressBench,
  },
  editor: { summary: 'a 300-node flow in headless Chromium: load to an interactive canvas, and one edit', run: runEditorBench },
  engine: { summary: 'inbound → flow → sandbox reply: closed-loop throughput, open-loop latency, BullMQ baseline', run: runEngineBench },
  routing: {
    summary:
      '10k conversations queued over 5 teams, 200 agents of capacity 5, 4 worker processes: assignments/s, freed slot → next assignment p99, violations',
    run: runRoutingBench,
  },
  retention: {
    summary: '2M messages (half expired) with run steps and media rows: a sweep deletes the expired half while auto-replies keep answering',
    run: runRetentionBench,
  },
  import: {
    summary: 'a 1,000,000-row contacts CSV streamed to the import API and imported by the worker: rows/s and peak RSS',
    run: runImportBench,
  },
  'retention-partitions': {
    summary: 'the same expired rows deleted in batches by the sweep, and by dropping monthly partitions of copies of the tables',
    run: runRetentionPartitionsBench,
  },
  regex: {
    summary: 'ten regex triggers over 100k typical messages: native RegExp against re2js (CPU only, no services)',
    run: runRegexTriggersBench,
  },
};

const [name, ...rest] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHES[name];
if (!bench) {
  console.error(`${name === undefined ? 'no bench named' : `unknown bench "${name}"`}; choose one of:`);
  for (const [known, { summary }] of Object.entries(BENCHES)) console.error(`  ${known.padEnd(10)} ${summary}`);
  process.exit(1);
}
try {
  await bench.run(rest);
  // Connections the product leaves to the event loop (timers, sockets being closed) must not keep the bench alive.
  process.exit(0);
} catch (err) {
  console.error(err);
  process.exit(1);
}
