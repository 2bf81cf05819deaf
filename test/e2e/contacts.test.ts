import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-harness.ts';
import { signedInPage } from './support/browser-session.ts';
import { E2E_TEST_TIMEOUT_MS, HAS_CHROMIUM, launchChromium, poll, screenshot } from './support/chromium.ts';
import { violationRecorder } from './support/csp-violations.ts';
import { ensureEditorBuilt } from './support/editor-build.ts';

/** A marketer's spreadsheet: local Brazilian numbers, one in international form, and three bad rows. */
const CSV = [
  'Nome,Celular,Plano,Cidade,Tags',
  'Ana Souza,(11) 98765-4321,pro,Recife,"vip, newsletter"',
  'Bruno Lima,(21) 99876-5432,free,Rio,newsletter',
  'Carla Dias,+44 20 7946 0958,pro,London,vip',
  'Sem Telefone,,free,Recife,',
  'Número Curto,12345,free,Recife,',
  'Tag Ruim,(11) 91234-5678,free,Recife,bad!tag',
].join('\n');

describe.skipIf(!HAS_CHROMIUM)('the Contacts page in Chromium', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  let base: string;
  const violations = violationRecorder();

  beforeAll(async () => {
    ensureEditorBuilt();
    api = await startTestApi({ ONEMESSAGE_DATA_DIR: `/tmp/onemessage-contacts-e2e-${process.pid}` });
    base = `http://127.0.0.1:${api.process.port}`;
    const signup = await api.client.post('/api/v1/auth/signup', {
      email: 'marketer@example.com',
      password: 'correct horse battery',
      name: 'Mia Marketer',
      workspaceName: 'Contacts Co',
    });
    browser = await launchChromium();
    page = await signedInPage(browser, base, signup, violations);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('checks a CSV with bad rows, shows the report, imports it, then searches, tags and opens a contact', async () => {
    await page.goto(`${base}/flows`);
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    await page.getByText('No contacts yet').waitFor();
    await screenshot(page, 'contacts-01-empty');

    await page.getByRole('button', { name: 'Import CSV' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Import contacts from a CSV file' });
    await dialog.locator('input[type=file]').setInputFiles({ name: 'clientes.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    // Columns guessed from the header: phone and name; the others become attributes.
    await expect.poll(() => dialog.getByRole('combobox', { name: 'Phone column' }).inputValue()).toBe('Celular');
    await dialog.getByRole('combobox', { name: 'Country of local numbers' }).fill('Brazil');
    await page.getByRole('option', { name: 'Brazil (+55)' }).click();
    await screenshot(page, 'contacts-02-import-mapping');
    await dialog.getByRole('button', { name: 'Check the file first' }).click();
    await dialog.getByText('Check finished: nothing was imported yet.').waitFor({ timeout: 30_000 });
    const report = dialog.getByRole('table', { name: 'Rows with problems' });
    await report.getByText('no phone number').waitFor();
    expect(await report.getByRole('row').count()).toBe(4);
    await expect.poll(() => report.textContent()).toContain('“12345” is not a phone number of BR');
    await expect.poll(() => report.textContent()).toContain('“bad!tag” cannot be a tag');
    await screenshot(page, 'contacts-03-dry-run-report');

    // The error report downloads with the original cells.
    const href = await dialog.getByRole('link', { name: 'Download the error report (CSV)' }).getAttribute('href');
    const csv = await page.request.get(`${base}${href}`);
    expect(csv.status()).toBe(200);
    const text = await csv.text();
    expect(text.split('\n')[0]).toBe('Row,Problem,Nome,Celular,Plano,Cidade,Tags');
    expect(text).toContain('Número Curto');

    await dialog.getByRole('button', { name: 'Import 3 contacts' }).click();
    await dialog.getByText('Import finished.').waitFor({ timeout: 30_000 });
    await expect.poll(() => dialog.getByTestId('import-counts').textContent()).toContain('3added');
    await screenshot(page, 'contacts-04-import-finished');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();

    const table = page.getByRole('table', { name: 'Contacts' });
    await poll(() => table.getByRole('row').count()).toBe(4);
    await page.getByLabel('Search').fill('recife');
    await poll(() => table.getByRole('row').count()).toBe(2);
    await table.getByText('Ana Souza').waitFor();
    await page.getByLabel('Search').fill('');
    await poll(() => table.getByRole('row').count()).toBe(4);

    // Tag two contacts at once.
    await page.getByRole('checkbox', { name: 'Select Ana Souza' }).check();
    await page.getByRole('checkbox', { name: 'Select Bruno Lima' }).check();
    const bar = page.getByLabel('Tag the selection');
    await bar.getByLabel('Tags', { exact: true }).fill('black-friday');
    await bar.getByLabel('Tags', { exact: true }).press('Enter');
    await bar.getByRole('button', { name: 'Add tags' }).click();
    await page.getByText('Tagged 2 contacts.').waitFor();
    await screenshot(page, 'contacts-05-tagged');

    await table.getByRole('link', { name: 'Ana Souza' }).click();
    await page.getByRole('heading', { name: 'Ana Souza', level: 1 }).waitFor();
    await page.getByText('+5511987654321').first().waitFor();
    const details = page.getByLabel('Details');
    await expect.poll(() => details.getByRole('textbox', { name: 'Value of cidade' }).inputValue()).toBe('Recife');
    await details.getByRole('textbox', { name: 'Value of cidade' }).fill('São Paulo');
    await details.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Contact saved.').waitFor();
    await page.getByText('No opt-out, opt-in or restriction recorded.').waitFor();
    await page.getByRole('link', { name: 'Privacy: export, restrict, erase' }).waitFor();
    await screenshot(page, 'contacts-06-contact');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'om_session')!.value;
    const ana = await api.client.as(cookie).get(`/api/v1/contacts?phone=${encodeURIComponent('+5511987654321')}`);
    expect(ana.body.items[0]).toMatchObject({
      attributes: { cidade: 'São Paulo', plano: 'pro' },
      tags: ['vip', 'newsletter', 'black-friday'],
    });
    expect(await violations.all()).toEqual([]);
  });
});
