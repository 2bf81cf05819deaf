import { describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS, effectiveTimeoutMs } from './request-limits.ts';

describe('effectiveTimeoutMs', () => {
  describe('when the request asks for more than the cap', () => {
    it('caps it at 10 s', () => {
      expect(MAX_TIMEOUT_MS).toBe(10_000);
      expect(effectiveTimeoutMs(60_000, 5_000)).toBe(10_000);
    });
  });

  describe('when the request asks for less than the cap', () => {
    it('keeps the requested timeout', () => {
      expect(effectiveTimeoutMs(200, 5_000)).toBe(200);
    });
  });

  describe('when the request sets no timeout', () => {
    it('uses the default, capped as well', () => {
      expect(effectiveTimeoutMs(undefined, 5_000)).toBe(5_000);
      expect(effectiveTimeoutMs(undefined, 30_000)).toBe(10_000);
    });
  });
});
