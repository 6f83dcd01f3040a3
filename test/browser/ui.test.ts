import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emitAgentRun, emitWorkflowRun } from '../helpers/agent-traffic.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { makeTempDir, removeTempDir, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startLogging, startTracing, type TestLogging, type TestTracing } from '../helpers/otel.js';
import { REPLAY_FIXTURES } from '../helpers/replay.js';
import { isFinal, waitForRuns } from '../helpers/runs.js';

// A page answers within a second on a quiet machine; a loaded CI gets more time to show it.
vi.setConfig({ testTimeout: 120_000, expect: { poll: { timeout: 15_000, interval: 100 } } });

// Names of the browser used inside page.evaluate() callbacks, which run in the page: this
// program is compiled without the DOM library.
interface DomElement {
  parentElement: DomElement | null;
}
declare const document: { activeElement: { getAttribute(name: string): string | null } | null; documentElement: { dataset: Record<string, string | undefined> } };
declare const window: Record<string, unknown>;
declare function getComputedStyle(element: DomElement): { color: string; backgroundColor: string };

// The README's screenshots are written here when UPDATE_SCREENSHOTS=1, else to a temp dir.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? resolve('docs/images') : null;

let d: TestDaemon;
let browser: TestBrowser;
let page: Page;
let tracing: TestTracing;
let logging: TestLogging;
let shots: string;
const ids: Record<'coder' | 'failed' | 'planner' | 'workflow' | 'live', string> = { coder: '', failed: '', planner: '', workflow: '', live: '' };
let releaseLive: () => void = () => undefined;
let liveDone: Promise<string>;
let liveTrace = '';
/** The id the live run had while it was running. */
let renamed = '';

/** The run id of the run written for `traceId`, once it is `final` (or at least exists). */
async function runOf(traceId: () => string, final = true): Promise<string> {
  const runs = await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.trace_id === traceId() && (!final || isFinal(r))));
  return runs.find((r) => r.metadata.trace_id === traceId())!.runId;
}

beforeAll(async () => {
  // The planner can be replayed: a fixture agent that joins the replay's trace and sends its span.
  d = await startTestDaemon({ replay: { agents: { planner: { command: [process.execPath, REPLAY_FIXTURES.otlpAgent] } } } });
  shots = SCREENSHOTS ?? (await makeTempDir('paracle-shots-'));
  await mkdir(shots, { recursive: true });
  tracing = startTracing('http-proto', d.otlpUrl, { serviceName: 'ui-agents' });
  logging = startLogging('http-proto', d.otlpUrl, 'ui-agents');
  const coder = await emitAgentRun(tracing, {
    agent: 'coder',
    input: { task: 'fix the flaky login test', repo: 'acme/web', context: 'x'.repeat(600) },
    output: { patch: 'diff --git a/login.test.ts b/login.test.ts', tests: 'passing' },
    calls: [
      { model: 'gpt-4o', provider: 'openai', input: 1200, output: 350, answer: 'Reading the test first.', latencyMs: 60 },
      { model: 'gpt-4o', provider: 'openai', input: 2100, output: 640, answer: 'Here is the patch.', latencyMs: 90 },
    ],
    tool: 'read_file',
    artifacts: [
      { name: 'report.md', content: '# Fix report\n\nThe login test waited on a timer.\n' },
      { name: 'result.json', content: JSON.stringify({ fixed: true, files: ['login.test.ts'] }) },
      { name: 'chart.svg', content: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#3557c8"/></svg>' },
    ],
    logs: { logger: logging.logger, messages: ['cloned acme/web', 'tests green after patch'] },
  });
  const failed = await emitAgentRun(tracing, {
    agent: 'coder',
    input: { task: 'fix the flaky login test', repo: 'acme/web' },
    output: { patch: 'diff --git a/other.ts b/other.ts', tests: 'failing' },
    calls: [{ model: 'gpt-4o-mini', provider: 'openai', input: 900, output: 120, answer: 'Trying.', fails: 'rate limited by the provider' }],
  });
  const planner = await emitAgentRun(tracing, {
    agent: 'planner',
    input: { goal: 'ship the release notes' },
    output: { plan: ['collect changes', 'write notes'] },
    calls: [{ model: 'claude-3-5-sonnet-20241022', provider: 'anthropic', input: 500, output: 200, answer: 'A plan.' }],
  });
  const workflow = await emitWorkflowRun(tracing, 'research', [
    { id: 'gather', agent: 'searcher', model: 'claude-3-5-haiku-20241022' },
    { id: 'summarize', agent: 'writer', model: 'claude-3-5-sonnet-20241022' },
  ]);
  await logging.flush();
  await tracing.flush();
  ids.coder = await runOf(() => coder);
  ids.failed = await runOf(() => failed);
  ids.planner = await runOf(() => planner);
  ids.workflow = await runOf(() => workflow);
  // A run held open after its first call: written as running until released.
  const hold = new Promise<void>((res) => (releaseLive = res));
  liveDone = emitAgentRun(tracing, {
    agent: 'coder',
    input: { task: 'a long refactoring' },
    output: { done: true },
    // While only the calls are in, the run is named by the first call's start; the agent span,
    // 20 ms earlier, renames it when it arrives.
    thinkMs: 20,
    calls: [
      { model: 'gpt-4o', provider: 'openai', input: 300, output: 100, answer: 'Starting.' },
      { model: 'gpt-4o', provider: 'openai', input: 400, output: 150, answer: 'Finished.' },
    ],
    hold: async () => {
      await hold;
    },
  });
  const running = (await waitForRuns(d.runsDir, (rs) => rs.some((r) => r.metadata.status === 'running'))).find((r) => r.metadata.status === 'running')!;
  ids.live = running.runId;
  liveTrace = running.metadata.trace_id as string;
  browser = await launchBrowser();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  releaseLive();
  await liveDone;
  await browser?.close();
  await logging?.shutdown();
  await tracing?.shutdown();
  await d?.stop();
  if (!SCREENSHOTS && shots) await removeTempDir(shots);
});

/** Rows of the runs table, by run id. */
async function listedRuns(): Promise<string[]> {
  return page.locator('table.runs tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id') ?? ''));
}

/** WCAG contrast of an element's text against the first opaque background behind it. */
async function contrast(selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((element) => {
    const rgb = (css: string): number[] => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]): number => {
      const c = [r!, g!, b!].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
      return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
    };
    let back: DomElement | null = element as DomElement;
    let bg = 'rgba(0, 0, 0, 0)';
    while (back && (bg = getComputedStyle(back).backgroundColor) && (rgb(bg)[3] === 0)) back = back.parentElement;
    const [a, b] = [luminance(rgb(getComputedStyle(element as DomElement).color)), luminance(rgb(bg))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

describe('the web UI in Chromium', () => {
  it('lists the runs newest first, with the running one', async () => {
    await page.goto(`${d.httpUrl}/`);
    const rows = page.locator('table.runs tbody tr');
    await expect.poll(() => rows.count()).toBe(5);
    const listed = await listedRuns();
    expect(listed).toEqual([...listed].sort().reverse());
    expect(listed).toEqual(expect.arrayContaining(Object.values(ids)));
    expect(await page.locator(`tr[data-run-id="${ids.live}"]`).getAttribute('data-status')).toBe('running');
    await expect.poll(() => page.locator('.live').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'ui-runs.png') });
  });

  it('narrows the list with each filter and keeps the filters in the address', async () => {
    await page.goto(`${d.httpUrl}/runs`);
    await page.locator('select[name="status"]').selectOption('failed');
    await expect.poll(() => listedRuns()).toEqual([ids.failed]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');

    await page.locator('select[name="status"]').selectOption('');
    await page.locator('input[name="agent"]').fill('planner');
    await expect.poll(() => listedRuns()).toEqual([ids.planner]);
    await expect.poll(() => new URL(page.url()).searchParams.get('agent')).toBe('planner');

    await page.locator('input[name="agent"]').fill('');
    await page.locator('select[name="kind"]').selectOption('workflow');
    await expect.poll(() => listedRuns()).toEqual([ids.workflow]);
    await page.locator('select[name="kind"]').selectOption('');

    await page.keyboard.press('Escape');
    await page.locator('body').click();
    await page.keyboard.press('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('text');
    await page.keyboard.type('flaky login');
    await expect.poll(async () => (await listedRuns()).sort()).toEqual([ids.coder, ids.failed].sort());
    await expect.poll(() => new URL(page.url()).searchParams.get('text')).toBe('flaky login');

    await page.locator('input[name="model"]').fill('gpt-4o-mini');
    await expect.poll(() => listedRuns()).toEqual([ids.failed]);

    // The address alone reproduces the view: filled fields, same list.
    const shared = page.url();
    const other = await browser.newPage();
    await other.goto(shared);
    await expect.poll(() => other.locator('table.runs tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')))).toEqual([ids.failed]);
    expect(await other.locator('input[name="text"]').inputValue()).toBe('flaky login');
    expect(await other.locator('input[name="model"]').inputValue()).toBe('gpt-4o-mini');
    await other.close();

    // Back goes to the previous filters.
    await page.locator('select[name="status"]').selectOption('completed');
    await expect.poll(() => listedRuns()).toEqual([]);
    await page.goBack();
    await expect.poll(() => listedRuns()).toEqual([ids.failed]);
  });

  it('pages through the runs with the cursor', async () => {
    await page.goto(`${d.httpUrl}/runs`);
    await expect.poll(() => listedRuns()).toHaveLength(5);
    const all = await listedRuns();
    // The API's cursor, driven from the page's own links with a page of 2 through the address.
    const firstPage = (await page.evaluate(async () => (await fetch('/api/v1/runs?limit=2')).json())) as { next_cursor: string };
    await page.goto(`${d.httpUrl}/runs?cursor=${firstPage.next_cursor}`);
    await expect.poll(() => listedRuns()).toEqual(all.slice(2));
    await page.locator('a', { hasText: 'Newest' }).click();
    await expect.poll(() => listedRuns()).toEqual(all);
    expect(new URL(page.url()).searchParams.has('cursor')).toBe(false);
  });

  it('opens a run: metadata, the waterfall with its spans and the LLM calls\' tokens', async () => {
    await page.goto(`${d.httpUrl}/runs`);
    await page.locator(`tr[data-run-id="${ids.coder}"] a.run-link`).click();
    await page.waitForURL(`${d.httpUrl}/runs/${ids.coder}`);
    await expect.poll(() => page.locator('[data-testid="span-count"]').getAttribute('data-count')).toBe('4');
    const rows = page.locator('.wf-row');
    expect(await rows.count()).toBe(4);
    const names = await rows.evaluateAll((els) => els.map((el) => el.querySelector('.wf-label')?.textContent));
    expect(names).toEqual(['invoke_agent coder', 'chat gpt-4o', 'execute_tool read_file', 'chat gpt-4o']);
    // Children are indented under the agent span.
    expect(await rows.nth(1).getAttribute('aria-level')).toBe('2');
    const llm = await page.locator('.wf-row [data-llm]').allTextContents();
    expect(llm).toEqual([expect.stringMatching(/^gpt-4o · 1,200→350 tok · \$0\.\d+ est\.$/), expect.stringMatching(/^gpt-4o · 2,100→640 tok/)]);
    expect(await page.locator('[data-testid="run-tokens"]').textContent()).toBe('4,290');

    await page.locator('.wf-row', { hasText: 'execute_tool' }).click();
    await expect.poll(() => page.locator('[data-testid="span-detail"]').textContent()).toContain('gen_ai.tool.name');
  });

  it('shows input and output as JSON trees, logs and artifacts with previews', async () => {
    await page.goto(`${d.httpUrl}/runs/${ids.coder}`);
    const input = page.locator('[data-testid="run-input"]');
    await expect.poll(() => input.textContent()).toContain('fix the flaky login test');
    // The 600-character value is cut until asked for.
    expect(await input.textContent()).toContain('show all 600 characters');
    await expect.poll(() => page.locator('[data-testid="run-output"]').textContent()).toContain('diff --git a/login.test.ts');
    await expect.poll(() => page.locator('[data-testid="run-logs"]').textContent()).toContain('cloned acme/web');
    expect(await page.locator('[data-testid="run-logs"]').textContent()).toContain('tests green after patch');

    const artifacts = page.locator('tr[data-artifact]');
    await expect.poll(() => artifacts.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-artifact')))).toEqual(['chart.svg', 'report.md', 'result.json']);
    const preview = page.locator('[data-testid="artifact-preview"]');
    await page.locator('tr[data-artifact="report.md"] button', { hasText: 'Preview' }).click();
    await expect.poll(() => preview.textContent()).toContain('The login test waited on a timer.');
    await page.locator('tr[data-artifact="result.json"] button', { hasText: 'Preview' }).click();
    await expect.poll(() => preview.locator('.json').textContent()).toContain('login.test.ts');
    await page.locator('tr[data-artifact="chart.svg"] button', { hasText: 'Preview' }).click();
    await expect.poll(() => preview.locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(40);

    const download = page.waitForEvent('download');
    await page.locator('tr[data-artifact="report.md"] button', { hasText: 'Download' }).click();
    expect((await download).suggestedFilename()).toBe('report.md');
    await page.screenshot({ path: join(shots, 'ui-run.png'), fullPage: true });
  });

  it('moves through the waterfall with the keyboard', async () => {
    await page.goto(`${d.httpUrl}/runs/${ids.coder}`);
    const tree = page.locator('.wf-scroll');
    await expect.poll(() => page.locator('.wf-row').count()).toBe(4);
    await tree.focus();
    await expect.poll(() => tree.getAttribute('aria-activedescendant')).toMatch(/^span-/);
    const first = await tree.getAttribute('aria-activedescendant');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('.wf-row.is-selected .wf-label').textContent()).toBe('execute_tool read_file');
    await page.keyboard.press('ArrowLeft');
    expect(await tree.getAttribute('aria-activedescendant')).toBe(first);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('.wf-row').count()).toBe(1);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('.wf-row').count()).toBe(4);
    await expect.poll(() => page.locator('[data-testid="span-detail"]').textContent()).toContain('invoke_agent coder');
  });

  it('shows a workflow\'s steps with their input and output', async () => {
    await page.goto(`${d.httpUrl}/runs/${ids.workflow}`);
    const steps = page.locator('tr[data-step]');
    await expect.poll(() => steps.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-step')))).toEqual(['gather', 'summarize']);
    await steps.first().locator('button').click();
    await expect.poll(() => page.locator('.step-content').textContent()).toContain('gather');
    await expect.poll(() => page.locator('.step-content tr[data-artifact]').count()).toBe(1);
  });

  it('turns a running run completed without a reload, in the list and on its page', { timeout: 90_000 }, async () => {
    const list = await browser.newPage();
    await list.goto(`${d.httpUrl}/runs`);
    await expect.poll(() => list.locator(`tr[data-run-id="${ids.live}"]`).getAttribute('data-status')).toBe('running');
    await page.goto(`${d.httpUrl}/runs/${ids.live}`);
    await expect.poll(() => page.locator('article.run-page').getAttribute('data-status')).toBe('running');
    // Set on each page now: a reload would lose them.
    await list.evaluate(() => (window.stayed = true));
    await page.evaluate(() => (window.stayed = true));
    releaseLive();
    await liveDone;
    await tracing.flush();
    // The run's id is its start: when the root span arrives earlier than the first call it had,
    // the daemon renames it, and the page follows it.
    const final = await runOf(() => liveTrace);
    expect(final).not.toBe(ids.live);
    await expect.poll(() => list.locator(`tr[data-run-id="${final}"]`).getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    await expect.poll(() => page.locator('article.run-page').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await page.locator('article.run-page').getAttribute('data-run-id')).toBe(final);
    await expect.poll(() => page.locator('[data-testid="span-count"]').getAttribute('data-count')).toBe('3');
    expect(await list.evaluate(() => window.stayed)).toBe(true);
    expect(await page.evaluate(() => window.stayed)).toBe(true);
    expect(await list.locator(`tr[data-run-id="${final}"] .run-link`).textContent()).toBe('Coder Agent');
    expect(await list.locator('table.runs tbody tr').count()).toBe(5);
    renamed = ids.live;
    ids.live = final;
    await list.close();
  });

  it('compares two runs side by side', async () => {
    await page.goto(`${d.httpUrl}/diff?a=${ids.coder}&b=${ids.failed}`);
    const deltas = page.locator('[data-testid="deltas"]');
    await expect.poll(() => deltas.textContent()).toContain('4,290 → 1,020');
    expect(await deltas.textContent()).toContain('completed → failed');
    expect(await page.locator('tr.changed[data-field="model"]').textContent()).toContain('gpt-4o-mini');
    const diff = page.locator('[data-testid="text-diff"]');
    await expect.poll(() => diff.locator('td.removed').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('passing')]));
    expect(await diff.locator('td.added').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('failing')]));
  });

  it('draws the stats as charts with a table of totals', async () => {
    await page.goto(`${d.httpUrl}/stats?by=agent&since=24h`);
    await expect.poll(() => page.locator('[data-testid="charts"] canvas').count()).toBe(5);
    const coder = page.locator('[data-testid="stats-table"] tr[data-key="coder"]');
    await expect.poll(() => coder.locator('td').first().textContent()).toBe('3');
    expect(await coder.textContent()).toContain('1 (33%)');
    await page.locator('select[name="by"]').selectOption('model');
    await expect.poll(() => new URL(page.url()).searchParams.get('by')).toBe('model');
    await expect.poll(() => page.locator('[data-testid="stats-table"] tr[data-key="gpt-4o"]').count()).toBe(1);
    await page.locator('select[name="by"]').selectOption('agent');
    await expect.poll(() => page.locator('[data-testid="charts"] canvas').count()).toBe(5);
  });

  it('replays a run from its page on an open API, where every role is held, and follows the new run', async () => {
    await page.goto(`${d.httpUrl}/runs/${ids.planner}`);
    await page.locator('[data-testid="replay"]').click();
    await page.locator('form.replay-form input').fill('fake-large');
    await page.locator('form.replay-form button[type="submit"]').click();
    await expect.poll(() => new URL(page.url()).pathname).not.toBe(`/runs/${ids.planner}`);
    const replay = new URL(page.url()).pathname.split('/').pop()!;
    expect(await page.locator('article.run-page').getAttribute('data-run-id')).toBe(replay);
    // The page follows the new run from pending to its end, without a reload.
    await expect.poll(() => page.locator('article.run-page').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    await expect.poll(() => page.locator(`a[href="/runs/${ids.planner}"]`).count()).toBeGreaterThan(0);
    const meta = (await (await fetch(`${d.httpUrl}/api/v1/runs/${replay}`)).json()) as { replay_of: string; model: string };
    expect(meta.replay_of).toBe(ids.planner);
    expect(meta.model).toBe('fake-large');
  });

  it('reads well in the dark theme and in the light one', async () => {
    for (const scheme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${d.httpUrl}/runs/${ids.failed}`);
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      await expect.poll(() => page.locator('.wf-row').count()).toBe(2);
      for (const selector of ['h1', '.field dd', '.muted', '.field a', '.badge.status-failed', '.wf-label', '.chip-llm']) {
        expect(await contrast(selector), `${selector} in ${scheme}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it('made no request outside the daemon, and no error on any page', () => {
    const outside = browser.requests.filter((url) => !url.startsWith(`${d.httpUrl}/`) && !url.startsWith('blob:'));
    expect(outside).toEqual([]);
    expect(browser.requests.length).toBeGreaterThan(50);
    // The access module's /api/v1/whoami is not on this branch yet: the UI reads its 404 as an open API.
    // Expected: the live run's old id, which the run page asked for once more before following it.
    const expected = [`404 ${d.httpUrl}/api/v1/runs/${renamed}`];
    expect(browser.problems.filter((problem) => !/^404 .*\/api\/v1\/whoami$/.test(problem))).toEqual(expected);
  });
});
