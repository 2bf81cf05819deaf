import { normaliseText } from '../engine/flows/keyword-match.ts';
import { compileUserPattern, type UserPattern } from '../engine/flows/user-pattern.ts';

/** Ten patterns of the kind people put on triggers; all pass validation. */
const PATTERNS = [
  '^price(s)?\\b',
  '\\border\\s+#?\\d{3,8}\\b',
  '^(yes|no)$',
  '[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}',
  '\\b(refund|return|exchange)\\b',
  '^(hi|hello|hey|good (morning|afternoon|evening))\\b',
  '\\b\\d{5}(-\\d{4})?\\b',
  '\\b(cancel|unsubscribe me|stop sending)\\b',
  'track(ing)?\\s+(number|code)',
  '\\b(size|sizes)\\s+(xs|s|m|l|xl|xxl)\\b',
];

/** Messages of typical length (15 to 120 characters); most match none of the patterns, so all ten run. */
const SAMPLES = [
  'Hi, is the blue linen shirt still available in medium?',
  'ok thanks',
  'Can you tell me when my package will arrive? I ordered it last Tuesday and it still has not shipped',
  'Good morning! Do you deliver to Lyon on Saturdays?',
  'yes',
  'What is the price of the large basket with the wooden handle?',
  'My order 4412873 arrived damaged, the lid is cracked. What can I do?',
  'please send the invoice to accounts@example.com',
  'Do you have a size m in the green one? 😊',
  'I would like a refund for the second item, it does not fit',
  'are you open on sunday',
  'Where do I find the tracking number for my parcel?',
];

function timeMs(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

/** Times ten regex triggers over `--messages` (default 100,000) messages: native RegExp against re2js. */
export async function runRegexTriggersBench(args: string[]): Promise<void> {
  const messagesArg = args.indexOf('--messages');
  const messages = messagesArg === -1 ? 100_000 : Number(args[messagesArg + 1]);
  const texts = Array.from({ length: messages }, (_, i) => normaliseText(SAMPLES[i % SAMPLES.length]!));
  const native = PATTERNS.map((p) => new RegExp(p, 'i'));
  const re2 = PATTERNS.map((p): UserPattern => {
    const compiled = compileUserPattern(p, true);
    if (!compiled.ok) throw new Error(`bench pattern refused: ${compiled.problem.message}`);
    return compiled.pattern;
  });
  let nativeHits = 0;
  let re2Hits = 0;
  const runNative = () => {
    for (const text of texts) for (const re of native) if (re.test(text)) nativeHits += 1;
  };
  const runRe2 = () => {
    for (const text of texts) for (const pattern of re2) if (pattern.test(text)) re2Hits += 1;
  };
  // One pass each to warm the JIT and re2js's DFA caches, then the measured pass.
  runNative();
  runRe2();
  nativeHits = 0;
  re2Hits = 0;
  const nativeMs = timeMs(runNative);
  const re2Ms = timeMs(runRe2);
  if (nativeHits !== re2Hits) throw new Error(`the engines disagree: native ${nativeHits} matches, re2js ${re2Hits}`);
  const perMessageUs = (ms: number) => ((ms * 1000) / messages).toFixed(2);
  console.log(`${messages} messages × ${PATTERNS.length} regex triggers (${nativeHits} matches)`);
  console.log(`  native RegExp: ${nativeMs.toFixed(0)} ms, ${perMessageUs(nativeMs)} µs per message`);
  console.log(`  re2js:         ${re2Ms.toFixed(0)} ms, ${perMessageUs(re2Ms)} µs per message (${(re2Ms / nativeMs).toFixed(1)}× native)`);
}
