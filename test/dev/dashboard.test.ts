/**
 * The dashboard in a real browser (Debian's chromium through playwright-core), served by the
 * built `bentolabs dev` and fed by the real SDK with a realistic agent turn: the user's question,
 * an LLM call that asks for two tools, both tools, a second LLM call that answers, with tokens.
 * Each view gets element checks and one PNG in test-output/dashboard/ for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { begin, flush, init, shutdown, toolSpan, trackAi } from '../../src/index.js';
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

const SHOTS = path.join(ROOT, 'test-output', 'dashboard');
const API_KEY = 'bl_pk_test_dashboard_4242';
const CONVO = 'conv_8f3a21';
const USER = 'user_ada';
const QUESTION = 'Where is my order #4417? It was supposed to arrive yesterday.';
const ANSWER =
  'Your order #4417 (trail jacket) left our warehouse on Monday. ' +
  'UPS shows it in Denver, delayed by weather; the new delivery date is Thursday.';
const SYSTEM = 'You are Acme support. Use the tools to look up orders before answering.';
const TOOLS_ASKED = [
  { id: 'call_lookup', type: 'function', function: { name: 'lookup_order', arguments: '{"order_id":"4417"}' } },
  { id: 'call_ship', type: 'function', function: { name: 'get_shipping_status', arguments: '{"order_id":"4417"}' } },
];

// Stand-ins for the model and the tools' back ends, so the waterfall shows realistic proportions.
// Simulated work, not a wait for the code under test.
const work = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** `trackAi` for a model call that took `millis`, with the OpenAI-style usage attributes. */
async function llmCall(
  event: string,
  millis: number,
  input: unknown,
  output: unknown,
  usage: { input: number; output: number; cached?: number },
): Promise<void> {
  const startTime = Date.now();
  await work(millis);
  trackAi({
    event,
    model: 'gpt-4o',
    provider: 'openai',
    startTime,
    input,
    output,
    usage: { inputTokens: usage.input, outputTokens: usage.output },
    properties: {
      ...(usage.cached && { 'gen_ai.usage.cache_read.input_tokens': usage.cached }),
      'gen_ai.response.finish_reasons': [typeof output === 'string' ? 'stop' : 'tool_calls'],
    },
  });
}

/** One support-agent turn: LLM → two tools in parallel → LLM, as an app records it. */
async function agentTurn(question: string, shippingFails: boolean): Promise<void> {
  await begin({ event: 'support_agent', userId: USER, convoId: CONVO, input: question }, async (turn) => {
    const prompt = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: question },
    ];
    await llmCall('plan_tools', 180, prompt, TOOLS_ASKED, { input: 1240, output: 58, cached: 1024 });
    const [order, shipping] = await Promise.all([
      toolSpan('lookup_order', { input: { order_id: '4417' } }, async () => {
        await work(60);
        return { id: '4417', item: 'trail jacket', shipped: 'Monday', carrier: 'UPS' };
      }),
      toolSpan('get_shipping_status', { input: { order_id: '4417' } }, async () => {
        await work(110);
        if (shippingFails) throw new Error('UPS tracking API timed out after 100 ms');
        return { location: 'Denver, CO', status: 'delayed (weather)', eta: 'Thursday' };
      }).catch((error: Error) => ({ error: error.message })),
    ]);
    const answer = shippingFails
      ? 'Your order #4417 shipped on Monday with UPS. I could not reach the tracking service just now; please try again in a few minutes.'
      : ANSWER;
    await llmCall(
      'write_answer',
      240,
      [
        ...prompt,
        { role: 'assistant', content: null, tool_calls: TOOLS_ASKED },
        { role: 'tool', tool_call_id: 'call_lookup', content: JSON.stringify(order) },
        { role: 'tool', tool_call_id: 'call_ship', content: JSON.stringify(shipping) },
      ],
      answer,
      { input: 1530, output: 96, cached: 1024 },
    );
    turn.update({ output: answer });
  });
}

/** A trajectory whose root is never finished: its tool span arrives, its parent never does. */
async function danglingTrajectory(): Promise<void> {
  const digest = begin({ event: 'nightly_digest', userId: 'user_cy' });
  await digest.toolSpan('fetch_open_tickets', { input: { since: '24h' } }, async () => {
    await work(20);
    return [{ id: 1182 }, { id: 1190 }];
  });
}

async function recordData(): Promise<void> {
  await agentTurn(QUESTION, false);
  await agentTurn('And can you check again where it is now?', true);
  // A begin() in which nothing was recorded: still a trajectory, not an "event".
  await begin({ event: 'feedback', userId: USER, convoId: CONVO, input: 'thumbs up' }, () => undefined);
  // Standalone LLM calls (no trajectory): one priced by the --prices file, one with no price at all.
  trackAi({
    event: 'summarize_ticket',
    userId: 'user_bo',
    convoId: 'conv_71c0de',
    model: 'acme-small-v2',
    provider: 'acme',
    input: [{ role: 'user', content: 'Ticket #1182: parcel arrived damaged' }],
    output: 'Customer reports damaged parcel; wants a replacement.',
    usage: { inputTokens: 1000, outputTokens: 500 },
  });
  trackAi({
    event: 'classify_intent',
    userId: 'user_bo',
    model: 'local-llama',
    provider: 'ollama',
    input: 'refund please',
    output: 'refund_request',
    usage: { inputTokens: 12, outputTokens: 3 },
  });
  await danglingTrajectory();
  const result = await flush();
  // The seed leaves one trajectory open on purpose (flush() then says so); nothing may be dropped.
  if (result.dropped > 0 || (!result.ok && !/still open/.test(result.error ?? '')))
    throw new Error(`flush failed: ${JSON.stringify(result)}`);
}

describe.skipIf(!haveChromium && !process.env.CI)('dashboard in chromium', () => {
  let dev: DevProcess;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const texts = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  const attrs = (selector: string, attr: string) =>
    page.locator(selector).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attr);

  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(
        `${CHROMIUM} is missing; CI must install chromium (apt-get install -y chromium) before the tests.`,
      );
    fs.mkdirSync(SHOTS, { recursive: true });
    const dir = tempDir();
    const prices = path.join(dir, 'prices.json');
    fs.writeFileSync(prices, JSON.stringify({ 'acme-small-v2': { input: 2, output: 4 } }));
    dev = await startDev(path.join(dir, 'spans.ndjson'), ['--prices', prices]);
    init({ apiKey: API_KEY, baseUrl: dev.url, serviceName: 'acme-support-api' });
    await recordData();
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
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
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

  test('trajectories: agent turns with steps, tokens, cost and totals; standalone calls kept out', async () => {
    await page.goto(`${dev.url}/#/traces`);
    const rows = page.locator('[data-testid=trace-row]');
    await expect.poll(() => rows.count()).toBe(4); // two turns, feedback, the dangling digest
    const names = await texts('[data-testid=trace-row] a.name');
    expect(names).not.toContain('summarize_ticket');
    expect(names).not.toContain('classify_intent');
    const turn = rows.filter({ hasText: QUESTION });
    const row = (await turn.textContent())!;
    expect(row).toContain('2 LLM · 2 tools');
    expect(row).toContain('2,770 → 154'); // 1240 + 1530 in, 58 + 96 out
    // 216 fresh × $2.50 + 1024 cached × $1.25 + 58 × $10 (per 1M), and the same for the 2nd call.
    expect(row).toContain('$0.0059');
    expect(row).toContain('acme-support-api');
    await expect(page.locator('[data-testid=totals]').textContent()).resolves.toMatch(/4 trajectories.*4 LLM calls/);
    await expect(page.locator('[data-testid=standalone-note]').textContent()).resolves.toContain(
      '2 standalone LLM calls are under LLM calls',
    );
    const feedback = rows.filter({ hasText: 'feedback' });
    await expect(feedback.textContent()).resolves.toContain('0 LLM · 0 tools');
    await shot('trajectories');
  });

  test('trace: waterfall with time axis, offsets, kinds, collapse; the LLM call as a chat', async () => {
    await page.locator('[data-testid=trace-row]', { hasText: QUESTION }).locator('a.name').click();
    await page.locator('[data-testid=trace-view]').waitFor();
    expect(await attrs('[data-testid=span-row]', 'data-span-name')).toEqual([
      'support_agent',
      'plan_tools',
      'lookup_order',
      'get_shipping_status',
      'write_answer',
    ]);
    expect(await attrs('[data-testid=span-row]', 'data-kind')).toEqual(['trajectory', 'llm', 'tool', 'tool', 'llm']);
    // The time axis has labelled ticks from 0; every row shows its start offset.
    const ticks = await texts('[data-testid=time-axis] .tick');
    expect(ticks[0]).toBe('0 ms');
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    const offsets = await texts('[data-testid=span-row] .span-off');
    expect(offsets[0]).toBe('+0 ms');
    expect(offsets.slice(1).every((o) => /^\+\d/.test(o))).toBe(true);
    // The header's duration is the root row's duration.
    const rootDur = await page.locator('[data-testid=span-row]').first().locator('.span-dur').textContent();
    await expect(page.locator('[data-testid=trace-duration] dd').textContent()).resolves.toContain(rootDur!);
    await expect(page.locator('[data-testid=trace-tokens]').textContent()).resolves.toContain('2,770 → 154');
    await expect(page.locator('[data-testid=trace-cost]').textContent()).resolves.toContain('$0.0059');
    await expect(page.locator('[data-testid=trace-service]').textContent()).resolves.toContain('acme-support-api');
    await expect(page.locator('[data-testid=trace-io]').textContent()).resolves.toContain(QUESTION);

    // The second LLM call: its prompt as a chat, with the tool calls and their results.
    await page.locator('[data-testid=span-row][data-span-name=write_answer]').click();
    const detail = page.locator('[data-testid=span-detail][data-span-name=write_answer]');
    await detail.waitFor();
    expect(await attrs('[data-testid=chat-message]', 'data-role')).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
      'tool',
      'assistant',
    ]);
    expect(await texts('[data-testid=tool-call] strong')).toEqual(['lookup_order', 'get_shipping_status']);
    await expect(detail.textContent()).resolves.toContain('UPS shows it in Denver');
    await expect(detail.locator('[data-testid=span-tokens]').textContent()).resolves.toContain('1,024 cached');
    await expect(detail.locator('[data-testid=span-cost]').textContent()).resolves.toContain('$0.0035');
    await shot('trace');
    // The README's screenshot is refreshed on request, so a test run does not dirty the tree.
    if (process.env.UPDATE_SCREENSHOT === '1')
      await page.screenshot({ path: path.join(ROOT, 'docs', 'dashboard.png') });

    // A tool span: its arguments and result, and every attribute.
    await page.locator('[data-testid=span-row][data-span-name=lookup_order]').click();
    const tool = page.locator('[data-testid=span-detail][data-span-name=lookup_order]');
    await expect(tool.locator('[data-testid=span-io]').textContent()).resolves.toContain('trail jacket');
    const attr = (key: string) =>
      tool.locator(`[data-testid=span-attributes] [data-testid=attr-row][data-key="${key}"] td`).textContent();
    await expect(attr('openinference.span.kind')).resolves.toBe('tool');
    await expect(attr('gen_ai.user.id')).resolves.toBe(USER);

    // Zoom to the second LLM call: the axis starts at its offset and its bar fills the track.
    await page.locator('[data-testid=span-row][data-span-name=write_answer]').click();
    await page.locator('[data-testid=zoom-selected]').click();
    const zoomedTicks = await texts('[data-testid=time-axis] .tick');
    expect(zoomedTicks[0]).not.toBe('0 ms');
    const bar = page.locator('[data-testid=span-row][data-span-name=write_answer] .bar');
    await expect(bar.getAttribute('style')).resolves.toMatch(/left: 0%; width: 100%/);
    await page.locator('[data-testid=zoom-reset]').click();
    await expect.poll(() => texts('[data-testid=time-axis] .tick').then((t) => t[0])).toBe('0 ms');

    // Collapse hides the children; expand brings them back.
    await page.locator('[data-testid=span-row]').first().locator('[data-testid=toggle]').click();
    await expect.poll(() => page.locator('[data-testid=span-row]').count()).toBe(1);
    await page.locator('[data-testid=expand-all]').click();
    await expect.poll(() => page.locator('[data-testid=span-row]').count()).toBe(5);
  });

  test('trace: a span whose parent never arrived is flagged', async () => {
    await page.goto(`${dev.url}/#/traces`);
    await page.locator('[data-testid=trace-row]', { hasText: 'fetch_open_tickets' }).locator('a.name').click();
    await page.locator('[data-testid=missing-parent]').waitFor();
    await expect(page.locator('[data-testid=missing-parent]').textContent()).resolves.toContain('not received');
    await page
      .locator('[data-testid=span-row][data-span-name=fetch_open_tickets] [data-testid=parent-missing]')
      .waitFor();
    await expect(page.locator('[data-testid=duration-note]').textContent()).resolves.toContain(
      'root span not received',
    );
    await shot('trace-missing-parent');
  });

  test('LLM calls: nested and standalone, with question, tokens and cost from the price file', async () => {
    await page.goto(`${dev.url}/#/llm`);
    const rows = page.locator('[data-testid=llm-row]');
    await expect.poll(() => rows.count()).toBe(6);
    const acme = (await rows.filter({ hasText: 'summarize_ticket' }).textContent())!;
    expect(acme).toContain('standalone');
    expect(acme).toContain('$0.0040'); // 1000 × $2 + 500 × $4 per 1M, from --prices
    const llama = (await rows.filter({ hasText: 'classify_intent' }).textContent())!;
    expect(llama).toContain('–'); // no price: no cost, and the totals say which model lacks one
    await expect(page.locator('[data-testid=totals]').textContent()).resolves.toContain('no price for local-llama');
    const plan = (await rows.filter({ hasText: 'plan_tools' }).last().textContent())!; // newest first
    expect(plan).toContain('support_agent');
    expect(plan).toContain(QUESTION.slice(0, 40));
    await shot('llm-calls');
  });

  test('sessions → a conversation: every turn with its question, steps, timings, tokens and answer', async () => {
    await page.goto(`${dev.url}/#/sessions`);
    const row = page.locator(`[data-testid=session-row][data-convo-id="${CONVO}"]`);
    await row.waitFor();
    const text = (await row.textContent())!;
    expect(text).toContain(USER);
    expect(text).toContain('5,540 → 308'); // two turns
    await shot('sessions');
    await row.click();
    await page.locator('[data-testid=session-view]').waitFor();
    const turns = page.locator('[data-testid=session-turn]');
    await expect.poll(() => turns.count()).toBe(3);
    await expect(turns.nth(0).textContent()).resolves.toContain(QUESTION);
    const steps = await turns
      .nth(0)
      .locator('[data-testid=turn-step]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-step-name')));
    expect(steps).toEqual(['plan_tools', 'lookup_order', 'get_shipping_status', 'write_answer']);
    await expect(turns.nth(0).textContent()).resolves.toContain(ANSWER);
    await expect(turns.nth(1).locator('[data-testid=turn-step].error').textContent()).resolves.toContain(
      'get_shipping_status',
    );
    await shot('session');
  });

  test('users: tokens and cost per user', async () => {
    await page.goto(`${dev.url}/#/users`);
    const ada = page.locator(`[data-testid=user-row][data-user-id="${USER}"]`);
    await ada.waitFor();
    await expect(ada.textContent()).resolves.toContain('5,540 → 308');
    await expect(page.locator('[data-testid=user-row][data-user-id=user_bo]').textContent()).resolves.toContain(
      '$0.0040+', // priced acme call, plus an unpriced one
    );
    await shot('users');
  });

  test('filters: search, errors only, time range, model and user', async () => {
    await page.goto(`${dev.url}/#/traces`);
    const rows = page.locator('[data-testid=trace-row]');
    await expect.poll(() => rows.count()).toBe(4);
    await page.fill('[data-testid=filter-q]', 'tracking API timed out');
    await expect.poll(() => rows.count()).toBe(1);
    expect(page.url()).toContain('q=tracking');
    await page.fill('[data-testid=filter-q]', '');
    await expect.poll(() => rows.count()).toBe(4);
    await page.check('[data-testid=filter-errors]');
    await expect.poll(() => rows.count()).toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('check again');
    await shot('trajectories-errors');
    await page.uncheck('[data-testid=filter-errors]');
    await page.selectOption('[data-testid=filter-since]', '15m');
    await expect.poll(() => rows.count()).toBe(4);
    await page.selectOption('[data-testid=filter-userId]', 'user_cy');
    await expect.poll(() => rows.count()).toBe(1);
    await page.selectOption('[data-testid=filter-userId]', '');
    await page.locator('[data-testid=tab-llm]').click();
    await page.selectOption('[data-testid=filter-model]', 'acme-small-v2');
    await expect.poll(() => page.locator('[data-testid=llm-row]').count()).toBe(1);
    // A range that excludes everything: the spans are minutes old at most, so "since tomorrow" is empty.
    await page.goto(`${dev.url}/#/traces?since=${Date.now() + 86_400_000}`);
    await page.locator('.empty', { hasText: 'Nothing matches' }).waitFor();
  });

  test('a new span appears without a reload (Server-Sent Events)', async () => {
    await page.goto(`${dev.url}/#/llm`);
    const rows = page.locator('[data-testid=llm-row]');
    await expect.poll(() => rows.count()).toBe(6);
    await page.locator('[data-testid=live-status].on').waitFor();
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    trackAi({ event: 'live_update_probe', userId: 'user_cy', model: 'gpt-4o', provider: 'openai', input: 'ping' });
    await flush();

    await page.locator('[data-testid=llm-row]', { hasText: 'live_update_probe' }).waitFor();
    await expect(rows.first().textContent()).resolves.toContain('live_update_probe'); // newest first
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(errors).toEqual([]);
  });
});
