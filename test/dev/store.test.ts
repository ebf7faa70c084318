/** The span store's file format and the read models, without a server. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { renderTrace } from '../../src/dev/render.js';
import { SpanStore } from '../../src/dev/store.js';
import { buildTree, categorize, traceSummaries } from '../../src/dev/views.js';
import { tempDir } from './helpers.js';

let seq = 0;
function span(fields: Partial<ReceivedSpan> & { name: string }): ReceivedSpan {
  seq++;
  const start = 1_700_000_000_000_000_000n + BigInt(seq) * 1_000_000n;
  return {
    traceId: 'ab'.repeat(16),
    spanId: seq.toString(16).padStart(16, '0'),
    kind: 1,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 2_000_000n),
    durationMillis: 2,
    attributes: {},
    typedAttributes: {},
    events: [],
    status: { code: 0 },
    resource: {},
    scope: { name: 't' },
    ...fields,
  };
}

describe('SpanStore', () => {
  test('appends NDJSON, reloads it, and survives a line cut short by a crash', () => {
    const file = path.join(tempDir(), 'deep', 'dir', 'spans.ndjson');
    const { store } = SpanStore.open(file);
    const stored = store.add([span({ name: 'one' }), span({ name: 'two' })]);
    expect(stored[0]!.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    store.close();
    fs.appendFileSync(file, '{"traceId":"ab'); // a crash mid-write

    const reopened = SpanStore.open(file);
    expect(reopened.report).toEqual({ spans: 2, skippedLines: 1 });
    reopened.store.add([span({ name: 'three' })]);
    reopened.store.close();
    const again = SpanStore.open(file);
    expect(again.store.all().map((s) => s.name)).toEqual(['one', 'two', 'three']);
    expect(again.report.skippedLines).toBe(1);
    again.store.close();
  });

  test('a re-sent span (exporter retry) is kept once', () => {
    const store = SpanStore.memory();
    const s = span({ name: 'retry' });
    store.add([s]);
    store.add([{ ...s }]);
    expect(store.all()).toHaveLength(1);
  });
});

describe('views', () => {
  test('categories: tool, llm, trajectory, event', () => {
    const stored = (f: Partial<ReceivedSpan> & { name: string }) => ({ ...span(f), receivedAt: '' });
    const kind = (k: string) => ({ 'openinference.span.kind': k });
    expect(categorize(stored({ name: 't', attributes: kind('tool') }), false)).toBe('tool');
    expect(categorize(stored({ name: 'l', attributes: { 'gen_ai.request.model': 'm' } }), false)).toBe('llm');
    expect(categorize(stored({ name: 'p', attributes: { 'gen_ai.system': 'openai' } }), false)).toBe('llm');
    expect(categorize(stored({ name: 'u', attributes: { 'gen_ai.usage.input_tokens': 3 } }), false)).toBe('llm');
    expect(categorize(stored({ name: 'k', attributes: kind('llm') }), true)).toBe('llm');
    expect(categorize(stored({ name: 'c', attributes: kind('chain') }), false)).toBe('trajectory');
    expect(categorize(stored({ name: 'r' }), true)).toBe('trajectory');
    // A begin() that recorded nothing inside is still a trajectory, not an event.
    expect(categorize(stored({ name: 'b', attributes: { 'input.value': 'hi' } }), false)).toBe('trajectory');
    // A begin() that set a model but has children is a trajectory, not an LLM call.
    expect(categorize(stored({ name: 'm', attributes: { 'gen_ai.request.model': 'm' } }), true)).toBe('trajectory');
    expect(categorize(stored({ name: 'e', attributes: kind('retriever') }), false)).toBe('event');
  });

  test("a trace's duration is its root's; the extent of all spans and the usage are kept beside it", () => {
    const root = span({ name: 'turn' });
    const child = span({
      name: 'llm',
      parentSpanId: root.spanId,
      attributes: {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 10,
      },
    });
    // The child ends 3 ms after the root (e.g. a trackAi with an explicit endTime).
    child.endTimeUnixNano = String(BigInt(root.endTimeUnixNano) + 3_000_000n);
    const [t] = traceSummaries([[root, child].map((s) => ({ ...s, receivedAt: '' }))]);
    expect(t).toMatchObject({ kind: 'trajectory', durationMillis: 2, toolCalls: 0 });
    expect(t!.extentMillis).toBeCloseTo(5, 6); // root 0–2 ms, child 1–5 ms
    expect(t!.usage).toMatchObject({ llmCalls: 1, inputTokens: 1000, outputTokens: 10, unpricedModels: [] });
    expect(t!.usage.costUsd).toBeCloseTo((1000 * 0.15 + 10 * 0.6) / 1e6, 12);
    expect(t!.steps.map((s) => [s.name, s.category, s.offsetMillis])).toEqual([['llm', 'llm', 1]]);
  });

  test('orphans become roots, a parent cycle does not loop, and summaries survive a missing root', () => {
    const store = SpanStore.memory();
    const a = span({ name: 'a', parentSpanId: 'f'.repeat(16) }); // parent never arrived
    const b = span({ name: 'b' });
    const c = span({ name: 'c', parentSpanId: b.spanId });
    b.parentSpanId = c.spanId; // b <-> c
    store.add([a, b, c]);
    const roots = buildTree(store.all());
    const names = (nodes: typeof roots): string[] => nodes.flatMap((n) => [n.name, ...names(n.children)]);
    expect(names(roots).sort()).toEqual(['a', 'b', 'c']);
    expect(traceSummaries([store.all()])[0]).toMatchObject({ spanCount: 3, name: 'a', missingParents: 1 });
    expect(renderTrace(store.all())).toMatch(/● a[\s\S]*● b[\s\S]*c/);
  });
});
