import { useEffect, useState } from 'react';

/** True once the clock reaches `atMs` (re-renders then); false while before it, or with no time. */
export function useTimeReached(atMs: number | null): boolean {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (atMs === null) return;
    const wait = atMs - Date.now();
    if (wait <= 0) return;
    const timer = setTimeout(() => setTick((t) => t + 1), wait);
    return () => clearTimeout(timer);
  }, [atMs]);
  return atMs !== null && Date.now() >= atMs;
}
