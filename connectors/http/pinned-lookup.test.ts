import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { pinnedLookup } from './pinned-lookup.ts';

const vetted = [
  { address: '93.184.216.34', family: 4 as const },
  { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 as const },
];

function ask(
  options: { all?: boolean; family?: number },
  hostname = 'api.example.com',
): Promise<{ address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve, reject) => {
    pinnedLookup(vetted)(hostname, options, (err, address, family) => (err ? reject(err) : resolve({ address, family })));
  });
}

describe('pinnedLookup', () => {
  describe('when the socket asks for one address', () => {
    it('answers the first vetted address without resolving again', async () => {
      expect(await ask({})).toEqual({ address: '93.184.216.34', family: 4 });
    });
  });

  describe('when the socket asks for every address (happy eyeballs)', () => {
    it('answers exactly the vetted addresses', async () => {
      expect(await ask({ all: true })).toEqual({ address: vetted, family: undefined });
    });
  });

  describe('when the socket asks about another name', () => {
    it('still answers only the vetted addresses', async () => {
      expect(await ask({}, 'rebound.example.com')).toEqual({ address: '93.184.216.34', family: 4 });
    });
  });

  describe('when the socket wants a family that no vetted address has', () => {
    it('fails with ENOTFOUND instead of falling back to DNS', async () => {
      const only4 = pinnedLookup([{ address: '93.184.216.34', family: 4 }]);
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => only4('api.example.com', { family: 6 }, (e) => resolve(e)));
      expect(err?.code).toBe('ENOTFOUND');
    });
  });
});
