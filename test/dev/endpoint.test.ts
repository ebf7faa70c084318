/**
 * `bentolabs dev` as a user runs it: the built CLI in its own process, fed by the real SDK over
 * OTLP/HTTP (protobuf and JSON) and by raw requests (gzip, bad keys), checked through its JSON
 * API, its data file, its event stream and what it prints.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { begin, flush, init, shutdown, trackAi } from '../../src/index.js';
import type { StoredSpan } from '../../src/dev/store.js';
import type { SessionSummary, UserSummary } from '../../src/dev/rollups.js';
import type { SpanNode, TraceSummary } from '../../src/dev/views.js';
import { cliPath, getJson, startDev, tempDir, type DevProcess } from './helpers.js';

const API_KEY = 'bl_pk_test_endpoint_0001';
let dir: string;
let dataFile: string;
let dev: DevProcess;

beforeAll(async () => {
  dir = tempDir();
  dataFile = path.join(dir, 'nested', 'spans.ndjson');
  dev = await startDev(dataFile);
});
afterEach(async () => {
  await shutdown();
});
afterAll(async () => {
  await dev?.stop();
});

/** One conversation turn the way an app records it: a trajectory with a tool call and an LLM call. */
async function recordTurn(convoId: string, userId: string, message: string): Promise<string> {
  let traceEvent = '';
  await begin({ event: 'chat_turn', userId, convoId, input: message }, async (turn) => {
    traceEvent = turn.eventId;
    await turn.toolSpan('search_docs', { input: { query: message } }, async (tool) => {
      tool.setOutput([{ topic: 'refund', text: 'Refunds take 5 days.' }]);
      tool.setAttribute('docs.count', 1);
    });
    trackAi({
      event: 'llm_call',
      model: 'gpt-4o-mini',
      provider: 'openai',
      input: [{ role: 'user', content: message }],
      output: 'Refunds take 5 days.',
      usage: { inputTokens: 12, outputTokens: 6 },
    });
    turn.update({ output: 'Refunds take 5 days.' });
  });
  return traceEvent;
}

const spansOf = (query: string) =>
  getJson<{ spans: StoredSpan[] }>(`${dev.url}/api/spans${query}`).then((r) => r.spans);

/** Hand-written OTLP/JSON, for orderings the SDK would not produce on its own. */
function otlpJson(
  spans: Array<{
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    attrs?: Record<string, string>;
  }>,
): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'raw' },
            spans: spans.map((s, i) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId && { parentSpanId: s.parentSpanId }),
              name: s.name,
              kind: 1,
              startTimeUnixNano: String(now + BigInt(i) * 1000n),
              endTimeUnixNano: String(now + 5_000_000n),
              attributes: Object.entries(s.attrs ?? {}).map(([key, v]) => ({ key, value: { stringValue: v } })),
              status: {},
            })),
          },
        ],
      },
    ],
  });
}

const post = (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) =>
  fetch(`${dev.url}/v1/traces`, { method: 'POST', headers, body });

describe('ingest through the real SDK', () => {
  test('protobuf (the default): a conversation turn lands as a tree, in the API, the file and the terminal', async () => {
    init({ apiKey: API_KEY, baseUrl: dev.url });
    const convoId = 'convo-proto';
    await recordTurn(convoId, 'user-ada', 'How do refunds work?');
    const result = await flush();
    expect(result).toMatchObject({ ok: true, exported: 3 });

    const spans = await spansOf(`?convoId=${convoId}`);
    expect(spans.map((s) => s.name).sort()).toEqual(['chat_turn', 'llm_call', 'search_docs']);
    const traceId = spans[0]!.traceId;
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);

    const { roots, trace } = await getJson<{ trace: TraceSummary; roots: SpanNode[] }>(
      `${dev.url}/api/traces/${traceId}`,
    );
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ name: 'chat_turn', category: 'trajectory' });
    expect(roots[0]!.children.map((c) => [c.name, c.category])).toEqual([
      ['search_docs', 'tool'],
      ['llm_call', 'llm'],
    ]);
    const tool = roots[0]!.children[0]!;
    // Every attribute, typed: the tool's own integer attribute stays an int.
    expect(tool.attributes).toMatchObject({
      'openinference.span.kind': 'tool',
      'docs.count': 1,
      'gen_ai.conversation.id': convoId,
      'gen_ai.user.id': 'user-ada',
    });
    expect(tool.typedAttributes['docs.count']).toEqual({ type: 'int', value: 1 });
    expect(trace).toMatchObject({
      spanCount: 3,
      userIds: ['user-ada'],
      convoIds: [convoId],
      models: ['gpt-4o-mini'],
      providers: ['openai'],
    });

    // Durable: the NDJSON file has the same spans, each with receivedAt.
    const lines = fs
      .readFileSync(dataFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredSpan);
    const fromFile = lines.filter((l) => l.traceId === traceId);
    expect(fromFile.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(fromFile.every((s) => !Number.isNaN(Date.parse(s.receivedAt)))).toBe(true);

    // The terminal prints the tree once the root arrives: names, kinds, model and provider.
    const printed = await dev.waitFor(/● chat_turn[^\n]*\n(?:.*\n)*?.*└─ llm_call[^\n]*/);
    expect(printed[0]).toMatch(/chat_turn\s+trajectory\s+user=user-ada convo=convo-proto/);
    expect(printed[0]).toMatch(/├─ search_docs\s+tool/);
    expect(printed[0]).toMatch(/└─ llm_call\s+llm\s+gpt-4o-mini \(openai\)/);
    expect(printed[0]).toContain('in: How do refunds work?');

    const health = await getJson<{ requests: { protobuf: number; json: number } }>(`${dev.url}/healthz`);
    expect(health.requests.protobuf).toBeGreaterThan(0);
  });

  test("protocol 'http/json': the same spans arrive as OTLP/JSON", async () => {
    const before = (await getJson<{ requests: { json: number } }>(`${dev.url}/healthz`)).requests.json;
    init({ apiKey: API_KEY, baseUrl: dev.url, protocol: 'http/json' });
    await recordTurn('convo-json', 'user-bo', 'Where is my parcel?');
    expect(await flush()).toMatchObject({ ok: true, exported: 3 });
    const spans = await spansOf('?convoId=convo-json');
    expect(spans.map((s) => s.name).sort()).toEqual(['chat_turn', 'llm_call', 'search_docs']);
    expect(spans.find((s) => s.name === 'llm_call')!.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.system': 'openai',
      'gen_ai.usage.input_tokens': 12,
    });
    expect((await getJson<{ requests: { json: number } }>(`${dev.url}/healthz`)).requests.json).toBeGreaterThan(before);
  });
});

describe('the OTLP endpoint answers like the hosted service', () => {
  const traceId = 'aa'.repeat(16);
  const body = otlpJson([
    { traceId, spanId: '1'.repeat(16), name: 'gzip_root', attrs: { 'gen_ai.user.id': 'user-gz' } },
  ]);

  test('a gzip JSON body is accepted; the answer is an empty JSON response', async () => {
    const res = await post(gzipSync(body), {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({});
    expect((await spansOf(`?traceId=${traceId}`)).map((s) => s.name)).toEqual(['gzip_root']);
  });

  test('protobuf success is an empty application/x-protobuf body', async () => {
    // An empty ExportTraceServiceRequest is zero bytes: valid, and carries no spans.
    const res = await post(new Uint8Array(), {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test('401 with a JSON reason without a key or with a malformed one; 415 for other content types; 400 for garbage', async () => {
    const from = dev.stderr.length;
    const none = await post(body, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'missing_api_key' });

    const bad = await post(body, { authorization: 'Bearer sk_live_abcdef123456', 'content-type': 'application/json' });
    expect(bad.status).toBe(401);
    const reason = (await bad.json()) as { error: string; message: string };
    expect(reason.error).toBe('invalid_api_key_format');
    expect(reason.message).not.toContain('sk_live_abcdef123456'); // never echo a whole key

    const notBearer = await post(body, { authorization: API_KEY, 'content-type': 'application/json' });
    expect(notBearer.status).toBe(401);

    const text = await post(body, { authorization: `Bearer ${API_KEY}`, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);

    const garbage = await post('{"resourceSpans": 7}', {
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json',
    });
    expect(garbage.status).toBe(400);

    // The terminal says why a request was refused.
    await dev.waitFor(/refused POST \/v1\/traces: 401 invalid_api_key_format/, { stream: 'stderr', from });
  });

  test('children that arrive before their root attach to it; late children print as an addendum', async () => {
    const t = 'bb'.repeat(16);
    const root = { traceId: t, spanId: 'a'.repeat(16), name: 'agent_run' };
    const early = {
      traceId: t,
      spanId: 'b'.repeat(16),
      parentSpanId: root.spanId,
      name: 'early_tool',
      attrs: { 'openinference.span.kind': 'tool' },
    };
    const late = {
      traceId: t,
      spanId: 'c'.repeat(16),
      parentSpanId: root.spanId,
      name: 'late_llm',
      attrs: { 'gen_ai.request.model': 'claude-x', 'gen_ai.system': 'anthropic' },
    };
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    const from = dev.stdout.length;

    expect((await post(otlpJson([early]), headers)).status).toBe(200);
    expect((await post(otlpJson([root]), headers)).status).toBe(200);
    const tree = await dev.waitFor(/● agent_run[^\n]*\n(?:.*\n)*?.*early_tool[^\n]*/, { from });
    expect(tree[0]).toMatch(/└─ early_tool\s+tool/);

    expect((await post(otlpJson([late]), headers)).status).toBe(200);
    const addendum = await dev.waitFor(/\+ 1 late span\(s\) of trace bbbbbbbb:\n(?:.*\n)*?.*late_llm[^\n]*/, { from });
    expect(addendum[0]).toMatch(/agent_run \(already shown\)/);
    expect(addendum[0]).toMatch(/late_llm\s+llm\s+claude-x \(anthropic\)/);
    const { roots } = await getJson<{ roots: SpanNode[] }>(`${dev.url}/api/traces/${t}`);
    expect(roots[0]!.children.map((c) => c.name)).toEqual(['early_tool', 'late_llm']);
  });
});

describe('JSON API', () => {
  test('filters, trajectories newest first, sessions, users and the text tree', async () => {
    init({ apiKey: API_KEY, baseUrl: dev.url });
    await recordTurn('convo-api', 'user-cy', 'first question');
    await recordTurn('convo-api', 'user-cy', 'second question');
    trackAi({
      event: 'standalone',
      userId: 'user-dee',
      model: 'claude-3-5-sonnet',
      provider: 'anthropic',
      input: 'hi',
      output: 'hello',
    });
    expect(await flush()).toMatchObject({ ok: true });

    const byUser = await spansOf('?userId=user-cy');
    expect(byUser).toHaveLength(6);
    expect((await spansOf('?provider=anthropic&userId=user-dee')).map((s) => s.name)).toEqual(['standalone']);
    expect(await spansOf('?model=claude-3-5-sonnet&userId=user-cy')).toHaveLength(0);

    const { traces } = await getJson<{ traces: TraceSummary[] }>(`${dev.url}/api/traces?convoId=convo-api`);
    expect(traces).toHaveLength(2);
    expect(traces[0]!.root!.input).toBe('second question'); // newest first
    expect(traces[0]!.root).toMatchObject({
      name: 'chat_turn',
      category: 'trajectory',
      userId: 'user-cy',
      convoId: 'convo-api',
    });
    // Trace-level filter: the model sits on a child, the trace still matches.
    expect(
      (await getJson<{ traces: TraceSummary[] }>(`${dev.url}/api/traces?convoId=convo-api&model=gpt-4o-mini`)).traces,
    ).toHaveLength(2);

    const { sessions } = await getJson<{ sessions: SessionSummary[] }>(`${dev.url}/api/sessions`);
    const session = sessions.find((s) => s.convoId === 'convo-api')!;
    expect(session).toMatchObject({ userIds: ['user-cy'], spanCount: 6, models: ['gpt-4o-mini'] });
    expect(session.traceIds).toEqual(traces.map((t) => t.traceId));

    const { users } = await getJson<{ users: UserSummary[] }>(`${dev.url}/api/users`);
    expect(users.find((u) => u.userId === 'user-cy')).toMatchObject({
      traceCount: 2,
      spanCount: 6,
      convoIds: ['convo-api'],
    });
    expect(users.find((u) => u.userId === 'user-dee')).toMatchObject({ traceCount: 1, convoIds: [] });

    const text = await (await fetch(`${dev.url}/api/traces/${traces[0]!.traceId}?format=text`)).text();
    expect(text).toMatch(/^● chat_turn/);
    expect(text).toContain('llm_call  llm  gpt-4o-mini (openai)');

    expect((await fetch(`${dev.url}/api/traces/${'f'.repeat(32)}`)).status).toBe(404);
  });

  test('GET /api/events sends a message for each new batch', async () => {
    const controller = new AbortController();
    const res = await fetch(`${dev.url}/api/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const nextMessage = async (): Promise<{ type: string; traceIds?: string[]; spans?: Array<{ name: string }> }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) return JSON.parse(data);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('event stream ended');
        buffer += value;
      }
    };
    expect((await nextMessage()).type).toBe('hello');
    init({ apiKey: API_KEY, baseUrl: dev.url });
    trackAi({ event: 'sse_probe', userId: 'user-sse' });
    await flush();
    const message = await nextMessage();
    expect(message.type).toBe('spans');
    expect(message.spans!.map((s) => s.name)).toEqual(['sse_probe']);
    controller.abort();
  });
});

describe('durability and options', () => {
  test('a restart on the same data file keeps every span', async () => {
    const before = await spansOf('');
    expect(before.length).toBeGreaterThan(5);
    await dev.stop();
    dev = await startDev(dataFile);
    await dev.waitFor(new RegExp(`\\(${before.length} span\\(s\\) loaded\\)`));
    const after = await spansOf('');
    expect(after.map((s) => `${s.traceId}:${s.spanId}`).sort()).toEqual(
      before.map((s) => `${s.traceId}:${s.spanId}`).sort(),
    );
    expect(after.find((s) => s.name === 'search_docs')!.typedAttributes['docs.count']).toEqual({
      type: 'int',
      value: 1,
    });
    // And it keeps appending.
    init({ apiKey: API_KEY, baseUrl: dev.url });
    trackAi({ event: 'after_restart' });
    await flush();
    expect((await spansOf('')).length).toBe(before.length + 1);
  });

  test('--api-key requires that exact key (403 otherwise); --reject-protobuf answers 415 to protobuf', async () => {
    const strict = await startDev(path.join(dir, 'strict.ndjson'), [
      '--api-key',
      'bl_pk_only_this_one_1234',
      '--reject-protobuf',
    ]);
    try {
      const body = otlpJson([{ traceId: 'cc'.repeat(16), spanId: 'd'.repeat(16), name: 'strict' }]);
      const wrong = await fetch(`${strict.url}/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body,
      });
      expect(wrong.status).toBe(403);
      expect(await wrong.json()).toMatchObject({ error: 'api_key_rejected' });
      const right = { authorization: 'Bearer bl_pk_only_this_one_1234' };
      expect(
        (
          await fetch(`${strict.url}/v1/traces`, {
            method: 'POST',
            headers: { ...right, 'content-type': 'application/json' },
            body,
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await fetch(`${strict.url}/v1/traces`, {
            method: 'POST',
            headers: { ...right, 'content-type': 'application/x-protobuf' },
            body: new Uint8Array(),
          })
        ).status,
      ).toBe(415);
    } finally {
      await strict.stop();
    }
  });

  test('a port in use is a clear error', async () => {
    const port = new URL(dev.url).port;
    const clash = spawnSync(
      process.execPath,
      [cliPath(), 'dev', '--port', port, '--data', path.join(dir, 'clash.ndjson')],
      { encoding: 'utf8', timeout: 15_000 },
    );
    expect(clash.status).toBe(1);
    expect(clash.stderr).toContain(`port ${port} is already in use`);
  });
});
