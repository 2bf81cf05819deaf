import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ensureEditorBuilt } from '../test/e2e/support/editor-build.ts';
import { HAS_CHROMIUM, CHROMIUM_PATH, launchChromium } from '../test/e2e/support/chromium.ts';
import { startBenchEnv } from './support/bench-env.ts';
import { buildLargeFlow } from './editor-flow.fixture.ts';
import { addSessionCookies } from '../test/e2e/support/browser-session.ts';

const USAGE = `npm run bench -- editor [options]
  --nodes N     nodes of the flow loaded (300)
  --loads N     page loads measured; the median is reported (5)
  --edits N     edits measured; the median is reported (10)
  --trace FILE  after the measured loads, one more load recorded as a Chromium performance trace
                (open FILE in Chrome DevTools' Performance panel or https://ui.perfetto.dev)`;

/** The last line is the result; everything before it is detail for a person reading along. */
interface EditorBenchResult {
  bench: 'editor';
  nodes: number;
  load_ms: number;
  edit_ms: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The categories of Chrome DevTools' Performance panel, with JavaScript samples. */
const TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'disabled-by-default-devtools.timeline.stack',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
  'blink.user_timing',
  'loading',
  'latencyInfo',
  'toplevel',
  'netlog',
].join(',');

/** Runs `load` while Chromium records a performance trace; the events are those of the DevTools format. */
async function traceLoad<T>(page: Page, load: () => Promise<T>): Promise<{ result: T; events: unknown[] }> {
  const cdp = await page.context().newCDPSession(page);
  const events: unknown[] = [];
  cdp.on('Tracing.dataCollected', ({ value }: { value: unknown[] }) => events.push(...value));
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: TRACE_CATEGORIES.split(',') }, transferMode: 'ReportEvents' });
  const result = await load();
  // A mark at the page's time origin (the navigation's start), so that the trace's clock can be read as load_ms is.
  await page.evaluate("performance.mark('navigation start', { startTime: 0 })");
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  return { result, events };
}

/**
 * Loads a large flow into the editor in headless Chromium and times (1) navigation start to an
 * interactive canvas (every node drawn and measured: React Flow hides nodes until it has measured
 * them, and connecting or dragging needs the measurements), and (2) an edit: renaming the
 * selected node in the side panel until the canvas paints the new name.
 */
export async function runEditorBench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: 'string', default: '300' },
      loads: { type: 'string', default: '5' },
      edits: { type: 'string', default: '10' },
      trace: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!HAS_CHROMIUM) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  const nodeCount = Number(values.nodes);
  const loads = Number(values.loads);
  const edits = Number(values.edits);

  console.error('building the editor (if stale) and starting the product…');
  ensureEditorBuilt();
  const env = await startBenchEnv();
  const browser = await launchChromium();
  try {
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(env.baseUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
      return { body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    };
    const session = await post('/api/v1/auth/signup', {
      email: `bench-${env.id}@example.com`,
      password: 'bench-password-1',
      name: 'Bench',
      workspaceName: 'Bench',
    });
    const token = session.body.token as string;
    const flow = (await post('/api/v1/flows/import', { name: `${nodeCount} nodes`, document: buildLargeFlow(nodeCount) }, token)).body;

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // The editor runs on the httpOnly session cookie the signup set, as after a login in the page.
    await addSessionCookies(context, env.baseUrl, { status: 201, body: session.body, headers: session.headers });
    const page = await context.newPage();
    const url = `${env.baseUrl}/flows/${String(flow.id)}`;
    // A function, not a string: the page's Content-Security-Policy refuses eval. Inline style only:
    // React Flow hides a node with an inline visibility until it is measured, and reading computed
    // styles every frame would force style work into the time measured.
    // Typed by hand: the bench is compiled without the DOM's types, the function runs in the page.
    const interactive = (count: number) => {
      const page = globalThis as unknown as {
        document: { querySelectorAll(s: string): Iterable<{ style: { visibility: string } }> & { length: number } };
        performance: { now(): number };
      };
      const nodes = page.document.querySelectorAll('.react-flow__node');
      if (nodes.length < count) return false;
      for (const el of nodes) if (el.style.visibility === 'hidden') return false;
      return page.performance.now();
    };

    // One load to warm the HTTP cache and the browser's code cache, as a returning user has.
    await page.goto(url);
    await page.waitForFunction(interactive, nodeCount, { polling: 'raf', timeout: 60_000 });

    const loadTimes: number[] = [];
    for (let i = 0; i < loads; i++) {
      await page.goto('about:blank');
      await page.goto(url);
      const handle = await page.waitForFunction(interactive, nodeCount, { polling: 'raf', timeout: 60_000 });
      loadTimes.push(Math.round((await handle.jsonValue()) as number));
    }
    console.error(`load_ms of each load: ${loadTimes.join(', ')}`);
    if (values.trace) {
      await page.goto('about:blank');
      const traced = await traceLoad(page, async () => {
        await page.goto(url);
        const handle = await page.waitForFunction(interactive, nodeCount, { polling: 'raf', timeout: 60_000 });
        return Math.round((await handle.jsonValue()) as number);
      });
      writeFileSync(values.trace, JSON.stringify({ traceEvents: traced.events }));
      console.error(`traced load: load_ms ${traced.result}, trace in ${values.trace}`);
    }

    await page
      .locator('.react-flow__node')
      .nth(Math.floor(nodeCount / 2))
      .click();
    const nameInput = page.getByLabel('Name on the canvas');
    await nameInput.waitFor();
    const editTimes: number[] = [];
    for (let i = 0; i < edits; i++) {
      const name = `Renamed ${i}`;
      // Timed inside the page: from the input event React handles to the frame that shows the new name.
      const ms = await page.evaluate(`new Promise((resolve) => {
        const input = [...document.querySelectorAll('label')].find((l) => l.textContent === 'Name on the canvas').control;
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        const started = performance.now();
        setter.call(input, ${JSON.stringify(name)});
        input.dispatchEvent(new Event('input', { bubbles: true }));
        const check = () => [...document.querySelectorAll('.react-flow__node.selected .flow-node-title')].some((t) => t.textContent === ${JSON.stringify(name)})
          ? requestAnimationFrame(() => resolve(performance.now() - started))
          : requestAnimationFrame(check);
        check();
      })`);
      editTimes.push(Math.round((ms as number) * 10) / 10);
    }
    console.error(`edit_ms of each edit: ${editTimes.join(', ')}`);
    const result: EditorBenchResult = { bench: 'editor', nodes: nodeCount, load_ms: median(loadTimes), edit_ms: median(editTimes) };
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await env.cleanup();
  }
}
