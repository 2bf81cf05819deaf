import type { BrowserContext, Page } from 'playwright-core';

/**
 * Records every CSP violation of the pages of the contexts it watches: the
 * `securitypolicyviolation` events (listened to by an init script, which the page's own CSP does
 * not govern) and Chromium's console reports of refused resources.
 */
export function violationRecorder() {
  const fromConsole: string[] = [];
  const pages: Page[] = [];
  return {
    async watch(context: BrowserContext): Promise<void> {
      // A string: the test's tsconfig has no DOM types, and this runs in the page.
      await context.addInitScript(`
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));
      `);
      context.on('page', (page) => {
        pages.push(page);
        page.on('console', (msg) => {
          if (/content security policy/i.test(msg.text())) fromConsole.push(msg.text());
        });
      });
    },
    /** The violations so far, of the pages still open and from the console of every page. */
    async all(): Promise<string[]> {
      const fromEvents: string[] = [];
      for (const page of pages.filter((p) => !p.isClosed()))
        fromEvents.push(...((await page.evaluate('window.__cspViolations ?? []')) as string[]));
      return [...fromEvents, ...fromConsole];
    },
  };
}
