import { describe, expect, it } from 'vitest';
import { durationWords } from './inbox-words.ts';

describe('durationWords', () => {
  it('says a wait in the largest units that matter', () => {
    expect([45, 95, 240, 3_900, 97_200].map((s) => durationWords(s))).toEqual(['45 s', '1 min', '4 min', '1 h 5 min', '1 d 3 h']);
  });

  it('keeps the seconds of an answer time below an hour, and never says "0 s"', () => {
    expect([45, 95, 240, 3_900].map((s) => durationWords(s, { seconds: true }))).toEqual(['45 s', '1 min 35 s', '4 min', '1 h 5 min']);
  });
});
