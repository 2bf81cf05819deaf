import { HAS_CHROMIUM } from './chromium.ts';
import { ensureEditorBuilt } from './editor-build.ts';

/**
 * Builds editor/dist once before any test file runs, when the browser tests will run: test files
 * run in parallel, and two builds emptying the same folder at once would break each other.
 */
export function setup(): void {
  if (HAS_CHROMIUM) ensureEditorBuilt();
}
