/**
 * The dashboard in a real browser (Debian's chromium through playwright-core), served by the
 * built `bentolabs dev` and fed by the real SDK: sessions, trajectories, a tool span's
 * attributes, filters, and a new span showing up without a reload.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { begin, flush, init, shutdown, trackAi } from '../../src/index.js';
import { ROOT, startDev, tempDir, type DevProcess } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  // Loud on purpose: a skipped browser test is easy to miss. In CI it fails instead (below).
  console.error(
    `\n!!! ${CHROMIUM} is missing: the dashboard browser tests ${process.env.CI ? 'FAIL' : 'are SKIPPED'}. ` +
      'Install it with `apt-get install -y chromium`.\n',
  );
}

const API_KEY = 'bl_pk_test_dashboard_4242';
const CONVO = 'conv_8f3a21';
const USER = 'user_ada';
const TURNS: Array<[string, string, string]> = [
  ['What are your shipping times?', 'shipping', 'Orders ship within 24 hours; express delivery takes 1-2 days.'],
  [
    "If the jacket doesn't fit, how do I get a refund?",
    'refund',
    'Refunds are issued within 5 business days to the original payment method.',
  ],
  ['How do I reset my password?', 'password', 'Reset your password from Settings > Security > Reset password.'],
];

// Stand-ins for a vector search and a model call, so the waterfall (and the README screenshot)
// shows realistic proportions. Simulated work, not a wait for the code under test.
const work = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

async function recordConversation(): Promise<void> {
  for (const [message, topic, answer] of TURNS) {
    await begin({ event: 'chat_turn', userId: USER, convoId: CONVO, input: message }, async (turn) => {
      await turn.toolSpan('search_docs', { input: { query: message } }, async (tool) => {
        await work(12);
        tool.setAttribute('search.topic', topic);
        tool.setAttribute('search.hits', 1);
        tool.setOutput([{ topic, text: answer }]);
      });
      const started = Date.now();
      await work(35);
      trackAi({
        event: 'llm_call',
        model: 'gpt-4o-mini',
        provider: 'openai',
        startTime: started,
        input: [
          { role: 'system', content: 'You are a helpful support assistant.' },
          { role: 'user', content: message },
        ],
        output: answer,
        usage: { inputTokens: 48, outputTokens: 19 },
        properties: { temperature: 0.2 },
      });
      turn.update({ output: answer });
    });
  }
  // Another user, another model, so the filters have something to tell apart.
  trackAi({
    event: 'summarize_ticket',
    userId: 'user_bo',
    convoId: 'conv_71c0de',
    model: 'claude-3-5-haiku',
    provider: 'anthropic',
    input: 'Ticket #1182: parcel arrived damaged',
    output: 'Customer reports damaged parcel; wants a replacement.',
  });
  const result = await flush();
  if (!result.ok) throw new Error(`flush failed: ${JSON.stringify(result)}`);
}

describe.skipIf(!haveChromium && !process.env.CI)('dashboard in chromium', () => {
  let dev: DevProcess;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(
        `${CHROMIUM} is missing; CI must install chromium (apt-get install -y chromium) before the tests.`,
      );
    dev = await startDev(path.join(tempDir(), 'spans.ndjson'));
    init({ apiKey: API_KEY, baseUrl: dev.url });
    await recordConversation();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await shutdown();
    await dev?.stop();
  });

  test('sessions → a conversation → its turns with their tools', async () => {
    await page.goto(`${dev.url}/#/sessions`);
    const row = page.locator(`[data-testid=session-row][data-convo-id="${CONVO}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain(USER);
    await row.click();
    await page.locator('[data-testid=session-view]').waitFor();
    const turns = page.locator('[data-testid=session-turn]');
    await expect.poll(() => turns.count()).toBe(3);
    // Oldest first, as the conversation happened, with the tool each turn used.
    await expect(turns.nth(0).textContent()).resolves.toContain('What are your shipping times?');
    await expect(turns.nth(1).textContent()).resolves.toContain('search_docs');
    await expect(turns.nth(2).textContent()).resolves.toContain('Reset your password');
  });

  test('a trajectory: its span tree and every attribute of the tool span', async () => {
    await page.locator('[data-testid=session-turn]').nth(1).locator('a.name').click();
    await page.locator('[data-testid=trace-view]').waitFor();
    const names = await page
      .locator('[data-testid=span-row]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-span-name')));
    expect(names[0]).toBe('chat_turn');
    expect(names.slice(1)).toEqual(['search_docs', 'llm_call']); // children by start time

    await page.locator('[data-testid=span-row][data-span-name=search_docs]').click();
    const detail = page.locator('[data-testid=span-detail][data-span-name=search_docs]');
    await detail.waitFor();
    const attr = (key: string) =>
      detail.locator(`[data-testid=span-attributes] [data-testid=attr-row][data-key="${key}"] td`).textContent();
    await expect(attr('openinference.span.kind')).resolves.toBe('tool');
    await expect(attr('search.topic')).resolves.toBe('refund');
    await expect(attr('search.hits')).resolves.toBe('1');
    await expect(attr('gen_ai.conversation.id')).resolves.toBe(CONVO);
    await expect(attr('gen_ai.user.id')).resolves.toBe(USER);
    await expect(attr('input.value')).resolves.toContain('"query"');
    await expect(attr('output.value')).resolves.toContain('Refunds are issued');

    const shot = path.join(tempDir('bentolabs-shot-'), 'dashboard.png');
    await page.screenshot({ path: shot });
    // The README's screenshot is refreshed on request, so a test run does not dirty the tree.
    const target = path.join(ROOT, 'docs', 'dashboard.png');
    if (process.env.UPDATE_SCREENSHOT === '1' || !fs.existsSync(target)) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(shot, target);
    }
  });

  test('filters by user, model and provider', async () => {
    await page.goto(`${dev.url}/#/traces`);
    const rows = page.locator('[data-testid=trace-row]');
    await expect.poll(() => rows.count()).toBe(4);
    await page.selectOption('[data-testid=filter-provider]', 'anthropic');
    await expect.poll(() => rows.count()).toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('summarize_ticket');
    expect(page.url()).toContain('provider=anthropic');
    await page.selectOption('[data-testid=filter-provider]', '');
    await page.selectOption('[data-testid=filter-userId]', USER);
    await page.selectOption('[data-testid=filter-model]', 'gpt-4o-mini');
    await expect.poll(() => rows.count()).toBe(3);
    await page.locator('[data-testid=tab-users]').click();
    await page.locator(`[data-testid=user-row][data-user-id="${USER}"]`).waitFor();
  });

  test('a new span appears without a reload (Server-Sent Events)', async () => {
    await page.goto(`${dev.url}/#/traces`);
    const rows = page.locator('[data-testid=trace-row]');
    await expect.poll(() => rows.count()).toBe(4);
    await page.locator('[data-testid=live-status].on').waitFor();
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    trackAi({
      event: 'live_update_probe',
      userId: 'user_cy',
      convoId: 'conv_live',
      model: 'gpt-4o',
      provider: 'openai',
      input: 'ping',
      output: 'pong',
    });
    await flush();

    await page.locator('[data-testid=trace-row]', { hasText: 'live_update_probe' }).waitFor();
    await expect.poll(() => rows.count()).toBe(5);
    await expect(rows.first().textContent()).resolves.toContain('live_update_probe'); // newest first
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(errors).toEqual([]);
  });
});
