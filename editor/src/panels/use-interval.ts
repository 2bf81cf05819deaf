import { useEffect, useRef } from 'react';

/** Calls `tick` every `intervalMs` while `active`, never two at once (a slow answer delays the next call). */
export function useInterval(tick: () => Promise<void>, intervalMs: number, active: boolean): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const loop = async () => {
      try {
        await latest.current();
      } catch {
        // A failed poll is retried on the next tick; the panel shows its own errors.
      }
      if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
    };
    void loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, active]);
}
