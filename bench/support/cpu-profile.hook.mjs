// Loaded with `node --import` (through NODE_OPTIONS, where Node 20 refuses --cpu-prof): profiles this
// process for CPU_PROFILE_MS, starting CPU_PROFILE_DELAY_MS after start, and writes
// <CPU_PROFILE_DIR>/<pid>.cpuprofile (open it in Chrome DevTools or summarise it with
// bench/support/cpu-profile-summary.ts). A window, not the whole life: startup is not what is measured.
// With CPU_PROFILE_ON_SIGNAL=1 the window is instead from a SIGUSR2 (sent by the bench when its
// measured phase starts) until the process exits (the in-process inspector answers synchronously,
// so the profile is written from the 'exit' handler).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';

const dir = process.env.CPU_PROFILE_DIR;
if (dir && process.env.CPU_PROFILE_ON_SIGNAL === '1') {
  const session = new Session();
  session.connect();
  process.once('SIGUSR2', () => {
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    process.once('exit', () =>
      session.post('Profiler.stop', (err, result) => {
        if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      }),
    );
  });
} else if (dir) {
  const session = new Session();
  session.connect();
  const delayMs = Number(process.env.CPU_PROFILE_DELAY_MS ?? 60_000);
  const durationMs = Number(process.env.CPU_PROFILE_MS ?? 60_000);
  setTimeout(() => {
    session.post('Profiler.enable', () =>
      session.post('Profiler.start', () => {
        setTimeout(() => {
          session.post('Profiler.stop', (err, result) => {
            if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
          });
        }, durationMs).unref();
      }),
    );
  }, delayMs).unref();
}
