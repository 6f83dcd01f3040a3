import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), driven headless. */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A headless Chromium with a fresh profile that records every request its pages make. */
export interface TestBrowser {
  context: BrowserContext;
  /** Every URL requested so far, by any page. */
  requests: string[];
  /**
   * Console errors, uncaught exceptions (CSP violations land here) and answers of 400 or more
   * (as `STATUS URL`) of every page.
   */
  problems: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a new user-data-dir (removed on close). Call `close()` in
 * `afterAll`: it ends the browser process.
 */
export async function launchBrowser(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<TestBrowser> {
  await access(CHROMIUM).catch(() => {
    throw new Error(`no Chromium at ${CHROMIUM}: the browser tests need Debian's package (apt-get install chromium; .ci/run installs it)`);
  });
  const profile = await mkdtemp(join(tmpdir(), 'paracle-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1360, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const requests: string[] = [];
  const problems: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      // A failed fetch is reported below with its address, which the console line lacks.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    requests,
    problems,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The startTime (ms after navigation start) of a performance mark the page set, once it exists. */
export async function markTime(page: Page, name: string, timeoutMs = 20_000): Promise<number> {
  const handle = await page.waitForFunction((mark) => performance.getEntriesByName(mark, 'mark')[0]?.startTime ?? null, name, { timeout: timeoutMs });
  return (await handle.jsonValue()) as number;
}
