import { z } from 'zod';

// The editor runs under a Content-Security-Policy without 'unsafe-eval' (api/security-headers.ts).
// Zod compiles object parsers with `new Function` unless told not to, and even its probe for eval
// reports a violation; jitless parsing is the interpreted path, fast enough for a flow document.
// Zod reads this when each object schema is built, so main.tsx imports this module first.
z.config({ jitless: true });
