/**
 * What the dashboard computes from spans, without a browser: prices and costs, the chat shapes
 * of each provider, the filters, and the `--prices` option of the real CLI.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { lastUserText, parseChat, parseReply } from '../../src/dev/chat.js';
import { costOf, DEFAULT_PRICES, parsePriceTable, priceOf } from '../../src/dev/prices.js';
import { durationNote, formatCost, formatDuration, formatTokens, sinceMillis } from '../../src/dev/shared.js';
import { cliPath, CliProcess, tempDir } from './helpers.js';

describe('prices', () => {
  test('model ids match their table entry through dates, versions and vendor prefixes, never a sibling', () => {
    const name = (model: string) =>
      Object.entries(DEFAULT_PRICES).find(([, p]) => p === priceOf(model, DEFAULT_PRICES))?.[0];
    expect(name('gpt-4o')).toBe('gpt-4o');
    expect(name('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(name('gpt-4o-mini-2024-07-18')).toBe('gpt-4o-mini');
    expect(name('openai/gpt-4.1-mini')).toBe('gpt-4.1-mini');
    expect(name('us.anthropic.claude-3-5-haiku-20241022-v1:0')).toBe('claude-3-5-haiku');
    expect(name('claude-sonnet-4-20250514')).toBe('claude-sonnet-4');
    expect(name('chatgpt-4o-latest')).toBeUndefined();
    expect(name('o3-mini')).toBeUndefined(); // not `o3`'s price
    expect(priceOf(undefined, DEFAULT_PRICES)).toBeUndefined();
  });

  test('cost: cached input at its own price, reasoning not counted twice, nothing without tokens', () => {
    const price = { input: 2.5, output: 10, cachedInput: 1.25 };
    expect(costOf({ input: 1240, output: 58, cacheRead: 1024 }, price)).toBeCloseTo(0.0024, 10);
    expect(costOf({ input: 1000, output: 100, reasoning: 80 }, price)).toBeCloseTo(0.0035, 10);
    expect(costOf({ input: 1000, cacheRead: 1000 }, { input: 1, output: 1 })).toBeCloseTo(0.001, 10);
    expect(costOf({}, price)).toBeUndefined();
    expect(costOf({ input: 5 }, undefined)).toBeUndefined();
  });

  test('a price file is checked entry by entry, naming the bad one', () => {
    expect(parsePriceTable('{"m":{"input":1,"output":2,"cachedInput":0.5}}', 'p.json')).toEqual({
      m: { input: 1, output: 2, cachedInput: 0.5 },
    });
    expect(() => parsePriceTable('{"m":{"input":"1","output":2}}', 'p.json')).toThrow(/p\.json: "m" needs numeric/);
    expect(() => parsePriceTable('[1]', 'p.json')).toThrow(/expected an object/);
    expect(() => parsePriceTable('{', 'p.json')).toThrow(/p\.json is not JSON/);
  });

  test('`bentolabs dev --prices` refuses a bad file with the reason, and announces a good one', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"my-model": {"input": 1}}');
    const run = (file: string) =>
      new CliProcess(
        spawn(
          process.execPath,
          [cliPath(), 'dev', '--port', '0', '--data', path.join(dir, 's.ndjson'), '--prices', file],
          {
            env: { ...process.env, NO_COLOR: '1' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      );
    const refused = run(bad);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr).toContain('"my-model" needs numeric "input" and "output"');
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, '{"my-model": {"input": 1, "output": 2}}');
    const ok = run(good);
    await ok.waitFor(/Prices\s+1 model\(s\) from .*good\.json/);
    await ok.stop();
  });
});

describe('chat shapes', () => {
  const roles = (v: unknown) => parseChat(JSON.stringify(v))?.map((m) => m.role);

  test('OpenAI chat: roles, tool calls on the assistant, tool results by id', () => {
    const chat = parseChat(
      JSON.stringify([
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'weather in Oslo?' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"temp":3}' },
      ]),
    )!;
    expect(chat.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(chat[2]!.parts).toEqual([{ type: 'tool_call', name: 'weather', args: '{"city":"Oslo"}', id: 'c1' }]);
    expect(chat[3]!.parts).toEqual([{ type: 'tool_result', content: '{"temp":3}', id: 'c1' }]);
  });

  test('Anthropic request: system first, tool_use and tool_result blocks', () => {
    const chat = parseChat(
      JSON.stringify({
        system: 'be brief',
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Oslo' } }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: '3°' }] }],
          },
        ],
      }),
    )!;
    expect(chat.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(chat[2]!.parts[0]).toMatchObject({ type: 'tool_call', name: 'weather', id: 't1' });
    expect(chat[3]!.parts[0]).toEqual({ type: 'tool_result', content: '3°', id: 't1' });
  });

  test('Responses API items and Vercel AI SDK parts', () => {
    expect(
      roles([
        { role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
        { type: 'function_call', name: 'f', arguments: '{}', call_id: 'x' },
        { type: 'function_call_output', call_id: 'x', output: 'ok' },
      ]),
    ).toEqual(['user', 'assistant', 'tool']);
    const ai = parseChat(
      JSON.stringify([
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'a', toolName: 'f', input: { q: 1 } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'a', toolName: 'f', output: { r: 2 } }] },
      ]),
    )!;
    expect(ai[0]!.parts[0]).toMatchObject({ type: 'tool_call', name: 'f', id: 'a' });
    expect(ai[1]!.parts[0]).toMatchObject({ type: 'tool_result', id: 'a' });
  });

  test('plain text is a user message; JSON that is not a prompt is left to the JSON view', () => {
    expect(parseChat('hello')).toEqual([{ role: 'user', parts: [{ type: 'text', text: 'hello' }] }]);
    expect(parseChat('{"order_id":"4417"}')).toBeUndefined();
    expect(parseChat('[1,2]')).toBeUndefined();
    expect(
      lastUserText(
        JSON.stringify([
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ]),
      ),
    ).toBe('b');
  });

  test('replies: text, or tool calls as JSON', () => {
    expect(parseReply('done')).toEqual({ role: 'assistant', parts: [{ type: 'text', text: 'done' }] });
    const calls = parseReply(JSON.stringify([{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }]));
    expect(calls!.parts).toEqual([{ type: 'tool_call', name: 'f', args: '{}', id: 'c' }]);
    const mixed = parseReply(JSON.stringify({ content: 'let me check', tool_calls: [{ function: { name: 'g' } }] }));
    expect(mixed!.parts.map((p) => p.type)).toEqual(['text', 'tool_call']);
    // What wrapOpenAI / wrapAnthropic / bentoTelemetry write for an answer with tool calls.
    const integration = parseReply(
      JSON.stringify([
        { type: 'text', text: 'checking' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ]),
    );
    expect(integration!.parts).toEqual([
      { type: 'text', text: 'checking' },
      { type: 'tool_call', name: 'get_weather', args: '{"city":"Paris"}', id: 'call_1' },
    ]);
  });
});

describe('shared filters and formats', () => {
  test('since: durations back from now, epoch milliseconds, ISO dates; garbage is ignored', () => {
    const now = 1_800_000_000_000;
    expect(sinceMillis('15m', now)).toBe(now - 15 * 60_000);
    expect(sinceMillis('7d', now)).toBe(now - 7 * 86_400_000);
    expect(sinceMillis('1700000000000', now)).toBe(1_700_000_000_000);
    expect(sinceMillis('2026-01-01T00:00:00Z', now)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(sinceMillis('soon', now)).toBeUndefined();
  });

  test('the headline duration is explained when the spans cover more than the root, or the root is missing', () => {
    expect(durationNote(551, 551.2)).toBeUndefined();
    expect(durationNote(200, 260)).toMatch(/root span's duration; all spans together cover 260 ms/);
    expect(durationNote(undefined, 27)).toMatch(/root span not received: 27 ms/);
  });

  test('formats', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(0.25, '')).toBe('0.25ms');
    expect(formatDuration(1530)).toBe('1.53 s');
    expect(formatTokens(2770)).toBe('2,770');
    expect(formatTokens(123_456)).toBe('123.5k');
    expect(formatCost(0.005905)).toBe('$0.0059');
    expect(formatCost(0.25)).toBe('$0.2500');
    expect(formatCost(12.5)).toBe('$12.50');
  });
});
