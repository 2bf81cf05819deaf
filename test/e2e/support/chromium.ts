import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from '../../support/cli-process.ts';

/** Debian's Chromium (`apt-get install -y chromium`); playwright's own browser downloads are never used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
/** Git-ignored (artifacts/ is in .gitignore). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'artifacts/screenshots');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A full-page screenshot named for the step it documents. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Transitions run to their end first: a shot right after a resize caught the sidebar half way out of view.
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** How long the UI gets to reach an expected state: generous, because CI machines run tests in parallel. */
export const UI_TIMEOUT_MS = 15_000;

/** `expect.poll` with the UI's timeout (vitest's default second is too short on a busy 2-core machine). */
export function poll<T>(check: () => T | Promise<T>, timeout = UI_TIMEOUT_MS) {
  return expect.poll(check, { timeout });
}

/** Per test: a whole user journey of a dozen browser steps, each allowed UI_TIMEOUT_MS. */
export const E2E_TEST_TIMEOUT_MS = 120_000;
