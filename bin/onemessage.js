#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx's ESM loader is registered in this process, then the
// CLI is imported. No build step, so `npx onemessage` always runs the source in the tree.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
