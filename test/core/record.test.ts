/**
 * SPEC §3, §4 and §6, asserted on what a real OTLP receiver decoded: the attribute mapping,
 * trackAi/begin/toolSpan/wrappers, the LIFO rule and identity precedence.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BentoUsageError,
  begin,
  currentInteraction,
  flush,
  init,
  interaction,
  propagateAttributes,
  status,
  tool,
  toolSpan,
  trackAi,
  updateCurrentSpan,
  updateCurrentTrace,
  type BentoOptions,
} from '../../src/index.js';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { captureLogger, HEX16, KEY, useReceiver } from './helpers.js';

const receiver = useReceiver();

function start(extra: BentoOptions = {}): void {
  init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent', ...extra });
}

/** Flushes and returns what the receiver decoded, by span name. */
async function received(): Promise<Map<string, ReceivedSpan>> {
  const result = await flush();
  expect(result.ok).toBe(true);
  return new Map(receiver.spans.map((s) => [s.name, s]));
}

function one(spans: Map<string, ReceivedSpan>, name: string): ReceivedSpan {
  const span = spans.get(name);
  if (!span) throw new Error(`no span "${name}" among ${[...spans.keys()].join(', ')}`);
  return span;
}

const SPAN_KIND = 'openinference.span.kind';

describe('attribute mapping (SPEC §4)', () => {
  beforeEach(() => start());

  it('maps every field of the table', async () => {
    const id = trackAi({
      event: 'answer',
      userId: 'u1',
      convoId: 'c1',
      model: 'gpt-4o',
      provider: 'openai',
      input: [{ role: 'user', content: 'hi' }],
      output: 'hello',
      tags: ['a', 'b'],
      properties: { experiment_id: 17, 'custom.key': 'v' },
    });
    const span = one(await received(), 'answer');
    expect(span.spanId).toBe(id);
    expect(span.attributes).toEqual({
      'gen_ai.user.id': 'u1',
      'gen_ai.conversation.id': 'c1',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.system': 'openai',
      'input.value': JSON.stringify([{ role: 'user', content: 'hi' }]),
      'output.value': 'hello',
      'langfuse.tags': ['a', 'b'],
      experiment_id: 17,
      'custom.key': 'v',
    });
    expect(span.typedAttributes['langfuse.tags']).toEqual({
      type: 'array',
      values: [
        { type: 'string', value: 'a' },
        { type: 'string', value: 'b' },
      ],
    });
    expect(span.typedAttributes.experiment_id?.type).toBe('int');
    expect(span.parentSpanId).toBeUndefined();
  });

  it('strings as-is, anything else as JSON for input/output; null and empty strings omitted', async () => {
    trackAi({ event: 'obj', input: { q: 1 }, output: 42 });
    trackAi({ event: 'str', input: '{"looks":"json"}', output: '' });
    trackAi({ event: 'nul', input: null, output: function answer() {} });
    const spans = await received();
    expect(one(spans, 'obj').attributes['input.value']).toBe('{"q":1}');
    expect(one(spans, 'obj').attributes['output.value']).toBe('42');
    expect(one(spans, 'str').attributes['input.value']).toBe('{"looks":"json"}');
    // SPEC §4: never written as null or empty.
    expect(one(spans, 'str').attributes).not.toHaveProperty('output.value');
    expect(one(spans, 'nul').attributes).not.toHaveProperty('input.value');
    // A function reads as it does in properties, not JSON-quoted.
    expect(one(spans, 'nul').attributes['output.value']).toBe('[Function answer]');
  });

  it('omits every field that was not passed (no null, no empty)', async () => {
    trackAi({ event: 'bare' });
    trackAi({
      event: 'undefs',
      userId: undefined,
      convoId: undefined,
      model: undefined,
      provider: undefined,
      input: undefined,
      output: undefined,
      tags: undefined,
      properties: { gone: undefined, alsoGone: null },
    });
    trackAi({ event: 'empties', userId: '', convoId: '', model: '', provider: '', tags: [] });
    const spans = await received();
    expect(one(spans, 'bare').attributes).toEqual({});
    expect(one(spans, 'undefs').attributes).toEqual({});
    expect(one(spans, 'empties').attributes).toEqual({});
  });

  it('provider is never inferred from the model name', async () => {
    trackAi({ event: 'bedrock', model: 'anthropic.claude-3-sonnet-20240229-v1:0' });
    const span = one(await received(), 'bedrock');
    expect(span.attributes['gen_ai.system']).toBeUndefined();
  });

  it('properties are written first; built-in fields overwrite clashing keys', async () => {
    trackAi({
      event: 'clash',
      userId: 'real-user',
      model: 'real-model',
      properties: {
        'gen_ai.user.id': 'from-props',
        'gen_ai.request.model': 'props-model',
        'gen_ai.system': 'props-provider',
        user_id: 'kept',
      },
    });
    const span = one(await received(), 'clash');
    expect(span.attributes['gen_ai.user.id']).toBe('real-user');
    expect(span.attributes['gen_ai.request.model']).toBe('real-model');
    // No built-in field passed for this key, so the property stays.
    expect(span.attributes['gen_ai.system']).toBe('props-provider');
    expect(span.attributes.user_id).toBe('kept');
  });

  it('trackAi and begin set no span kind; tool APIs set openinference.span.kind = tool', async () => {
    trackAi({ event: 't' });
    begin({ event: 'b' }).finish();
    toolSpan('tool-1').end();
    const spans = await received();
    expect(one(spans, 't').attributes[SPAN_KIND]).toBeUndefined();
    expect(one(spans, 'b').attributes[SPAN_KIND]).toBeUndefined();
    expect(one(spans, 'tool-1').attributes[SPAN_KIND]).toBe('tool');
  });
});

describe('field diagnostics (troubleshooting: "fields look wrong")', () => {
  it('a user id passed as a property is warned about once; a model without provider is warned about once', async () => {
    const logger = captureLogger();
    start({ logger, logLevel: 'info' });
    trackAi({ event: 'a', model: 'anthropic.claude-3-sonnet-20240229-v1:0', properties: { user_id: 'u1' } });
    trackAi({ event: 'b', model: 'gpt-4o', properties: { userId: 'u2' } });
    trackAi({ event: 'c', userId: 'ok', model: 'gpt-4o', provider: 'openai', properties: { user_id: 'dup' } });
    const warnings = logger.at('warn').filter((l) => l.includes('userId'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('`user_id`');
    const missing = logger.at('warn').filter((l) => l.includes('without `provider`'));
    expect(missing).toHaveLength(1);
    expect(missing[0]).toContain('never inferred');
    // Diagnosis only: the property is still recorded as given.
    expect(one(await received(), 'a').attributes.user_id).toBe('u1');
  });
});

describe('trackAi', () => {
  beforeEach(() => start());

  it('returns the 16-hex span id the receiver sees', async () => {
    const ids = [trackAi({ event: 'a' }), trackAi({ event: 'b' })];
    for (const id of ids) expect(id).toMatch(HEX16);
    const spans = await received();
    expect([one(spans, 'a').spanId, one(spans, 'b').spanId]).toEqual(ids);
    expect(one(spans, 'a').traceId).not.toBe(one(spans, 'b').traceId);
  });

  it('missing or empty `event` is a TypeError naming the field', () => {
    expect(() => trackAi({} as never)).toThrow(TypeError);
    expect(() => trackAi({ event: '' })).toThrow(/event/);
    expect(() => trackAi({ event: 3 } as never)).toThrow(TypeError);
    expect(() => trackAi(undefined as never)).toThrow(TypeError);
    expect(status().recorded).toBe(0);
  });

  it('startTime/endTime (Date or epoch ms) set the span times', async () => {
    const startMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    trackAi({ event: 'both', startTime: new Date(startMs), endTime: startMs + 1500 });
    trackAi({ event: 'start+duration', startTime: startMs, durationMillis: 250 });
    trackAi({ event: 'end+duration', endTime: new Date(startMs), durationMillis: 100 });
    const spans = await received();
    const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
    expect(one(spans, 'both').startTimeUnixNano).toBe(ns(startMs));
    expect(one(spans, 'both').endTimeUnixNano).toBe(ns(startMs + 1500));
    expect(one(spans, 'start+duration').endTimeUnixNano).toBe(ns(startMs + 250));
    expect(one(spans, 'end+duration').startTimeUnixNano).toBe(ns(startMs - 100));
    expect(one(spans, 'end+duration').endTimeUnixNano).toBe(ns(startMs));
  });

  it('durationMillis alone ends now and starts that long before', async () => {
    trackAi({ event: 'dur', durationMillis: 1234 });
    const span = one(await received(), 'dur');
    expect(span.durationMillis).toBe(1234);
  });

  it('usage tokens go out as ints', async () => {
    trackAi({ event: 'u', usage: { inputTokens: 12, outputTokens: 3 } });
    trackAi({ event: 'half', usage: { inputTokens: 5 } });
    const spans = await received();
    expect(one(spans, 'u').typedAttributes['gen_ai.usage.input_tokens']).toEqual({ type: 'int', value: 12 });
    expect(one(spans, 'u').typedAttributes['gen_ai.usage.output_tokens']).toEqual({ type: 'int', value: 3 });
    expect(one(spans, 'half').attributes['gen_ai.usage.output_tokens']).toBeUndefined();
  });

  it('an `error` field marks the span failed with an exception event', async () => {
    trackAi({ event: 'failed', error: new RangeError('model overloaded') });
    const span = one(await received(), 'failed');
    expect(span.status.code).toBe(2);
    const ex = span.events.find((e) => e.name === 'exception');
    expect(ex?.attributes['exception.type']).toBe('RangeError');
    expect(ex?.attributes['exception.message']).toBe('model overloaded');
  });
});

describe('begin (trajectories)', () => {
  beforeEach(() => start());

  it('handle form: children nest, update merges properties, finish is idempotent', async () => {
    const turn = begin({ event: 'turn', userId: 'u1', convoId: 'c1', input: 'q', properties: { a: 1, b: 2 } });
    expect(turn.eventId).toMatch(HEX16);
    expect(turn.convoId).toBe('c1');
    const childId = trackAi({ event: 'llm' });
    const tool = turn.toolSpan('search', { input: { q: 'x' } });
    tool.setOutput(['r1']);
    tool.setAttribute('hits', 1);
    tool.end();
    tool.end();
    turn.update({ properties: { b: 20, c: 3 }, output: 'draft' });
    turn.finish({ output: 'final', properties: { d: 4 } });
    turn.finish({ output: 'ignored', properties: { e: 5 } });
    trackAi({ event: 'after' });
    const spans = await received();
    const t = one(spans, 'turn');
    expect(receiver.spansByName('turn')).toHaveLength(1);
    expect(t.spanId).toBe(turn.eventId);
    expect(t.attributes).toMatchObject({ a: 1, b: 20, c: 3, d: 4, 'output.value': 'final', 'input.value': 'q' });
    expect(t.attributes.e).toBeUndefined();
    const llm = one(spans, 'llm');
    expect(llm.spanId).toBe(childId);
    expect(llm.parentSpanId).toBe(t.spanId);
    expect(llm.traceId).toBe(t.traceId);
    // Children inherit the trajectory's identity.
    expect(llm.attributes['gen_ai.user.id']).toBe('u1');
    expect(llm.attributes['gen_ai.conversation.id']).toBe('c1');
    const s = one(spans, 'search');
    expect(s.parentSpanId).toBe(t.spanId);
    expect(s.attributes).toMatchObject({
      [SPAN_KIND]: 'tool',
      'input.value': '{"q":"x"}',
      'output.value': '["r1"]',
      hits: 1,
    });
    // finish() restored the context: a later call is a root again.
    expect(one(spans, 'after').parentSpanId).toBeUndefined();
  });

  it('callback form returns fn’s result (sync and async) and parents what runs inside', async () => {
    const sync = begin({ event: 'sync' }, (turn) => {
      trackAi({ event: 'in-sync' });
      return `${turn.eventId}!`;
    });
    const asyncResult = await begin({ event: 'async' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      trackAi({ event: 'in-async' });
      return 7;
    });
    expect(sync).toMatch(/^[0-9a-f]{16}!$/);
    expect(asyncResult).toBe(7);
    const spans = await received();
    expect(one(spans, 'in-sync').parentSpanId).toBe(one(spans, 'sync').spanId);
    expect(one(spans, 'in-async').parentSpanId).toBe(one(spans, 'async').spanId);
  });

  it('callback form rethrows the same error, with status ERROR and an exception event', async () => {
    const boom = new TypeError('boom');
    let caught: unknown;
    try {
      begin({ event: 'sync-fail' }, () => {
        throw boom;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    const asyncBoom = new Error('async boom');
    await expect(
      begin({ event: 'async-fail' }, async () => {
        await Promise.resolve();
        throw asyncBoom;
      }),
    ).rejects.toBe(asyncBoom);
    const spans = await received();
    for (const [name, message] of [
      ['sync-fail', 'boom'],
      ['async-fail', 'async boom'],
    ] as const) {
      const span = one(spans, name);
      expect(span.status.code).toBe(2);
      const ex = span.events.find((e) => e.name === 'exception');
      expect(ex?.attributes['exception.message']).toBe(message);
    }
  });

  it('LIFO: finishing the outer while the inner is open throws out_of_order and does not end it', async () => {
    const outer = begin({ event: 'outer' });
    const inner = begin({ event: 'inner' });
    let error: unknown;
    try {
      outer.finish({ output: 'too early' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BentoUsageError);
    expect((error as BentoUsageError).code).toBe('out_of_order');
    expect((error as Error).message).toContain('outer');
    await flush();
    expect(receiver.spanByName('outer')).toBeUndefined();
    expect(status().recorded).toBe(0);
    inner.finish();
    outer.finish({ output: 'done' });
    const spans = await received();
    expect(receiver.spansByName('outer')).toHaveLength(1);
    expect(one(spans, 'outer').attributes['output.value']).toBe('done');
    expect(one(spans, 'inner').parentSpanId).toBe(one(spans, 'outer').spanId);
  });

  it('nested begin in callback form becomes a child', async () => {
    await begin({ event: 'parent' }, async () => {
      await begin({ event: 'child' }, async () => {
        trackAi({ event: 'grandchild' });
      });
    });
    const spans = await received();
    expect(one(spans, 'child').parentSpanId).toBe(one(spans, 'parent').spanId);
    expect(one(spans, 'grandchild').parentSpanId).toBe(one(spans, 'child').spanId);
  });

  it('currentInteraction() returns the open trajectory of this async context, or undefined', async () => {
    expect(currentInteraction()).toBeUndefined();
    let seen: string | undefined;
    await begin({ event: 'ci' }, async (turn) => {
      await Promise.resolve();
      seen = currentInteraction()?.eventId;
      expect(seen).toBe(turn.eventId);
      currentInteraction()?.update({ properties: { via: 'currentInteraction' } });
    });
    expect(currentInteraction()).toBeUndefined();
    const span = one(await received(), 'ci');
    expect(span.spanId).toBe(seen);
    expect(span.attributes.via).toBe('currentInteraction');
  });

  it('begin without `event` is a TypeError', () => {
    expect(() => begin({} as never)).toThrow(TypeError);
  });
});

describe('toolSpan', () => {
  beforeEach(() => start());

  it('is a detached root without an open trajectory', async () => {
    const t = toolSpan('lonely', { input: 'x' });
    expect(t.spanId).toMatch(HEX16);
    t.end();
    const span = one(await received(), 'lonely');
    expect(span.parentSpanId).toBeUndefined();
    expect(span.spanId).toBe(t.spanId);
    expect(span.attributes[SPAN_KIND]).toBe('tool');
  });

  it('callback form: child of the trajectory, result as output, errors rethrown and recorded', async () => {
    const boom = new Error('tool failed');
    await begin({ event: 'traj' }, async () => {
      const value = await toolSpan('fetch', { input: { url: 'u' } }, async () => ({ ok: true }));
      expect(value).toEqual({ ok: true });
      toolSpan('explicit', {}, (t) => {
        t.setOutput('set by hand');
        return 'returned';
      });
      expect(() =>
        toolSpan('broken', {}, () => {
          throw boom;
        }),
      ).toThrow(boom);
    });
    const spans = await received();
    const traj = one(spans, 'traj');
    for (const name of ['fetch', 'explicit', 'broken']) {
      expect(one(spans, name).parentSpanId).toBe(traj.spanId);
      expect(one(spans, name).attributes[SPAN_KIND]).toBe('tool');
    }
    expect(one(spans, 'fetch').attributes['output.value']).toBe('{"ok":true}');
    expect(one(spans, 'explicit').attributes['output.value']).toBe('set by hand');
    expect(one(spans, 'broken').status.code).toBe(2);
    expect(one(spans, 'broken').events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('trackAi inside a tool callback is a child of the tool span', async () => {
    toolSpan('outer-tool', {}, () => {
      trackAi({ event: 'inside-tool' });
    });
    const spans = await received();
    expect(one(spans, 'inside-tool').parentSpanId).toBe(one(spans, 'outer-tool').spanId);
  });

  it('setAttribute/setOutput after end() change nothing', async () => {
    const t = toolSpan('ended');
    t.end();
    t.setOutput('late');
    t.setAttribute('late', 1);
    const span = one(await received(), 'ended');
    expect(span.attributes['output.value']).toBeUndefined();
    expect(span.attributes.late).toBeUndefined();
  });

  it('a name is required', () => {
    expect(() => toolSpan('')).toThrow(TypeError);
  });
});

describe('function wrappers', () => {
  beforeEach(() => start());

  it('interaction() records sync and async calls as trajectories with output', async () => {
    const syncFn = interaction(function add(a: number, b: number) {
      trackAi({ event: 'inside-add' });
      return a + b;
    });
    const asyncFn = interaction(
      async function ask(q: string) {
        await Promise.resolve();
        return `answer to ${q}`;
      },
      { event: 'ask_event' },
    );
    const quiet = interaction(
      function secret() {
        return 'hidden';
      },
      { captureOutput: false },
    );
    expect(syncFn(2, 3)).toBe(5);
    expect(await asyncFn('life')).toBe('answer to life');
    expect(quiet()).toBe('hidden');
    const spans = await received();
    expect(one(spans, 'add').attributes['output.value']).toBe('5');
    expect(one(spans, 'inside-add').parentSpanId).toBe(one(spans, 'add').spanId);
    expect(one(spans, 'ask_event').attributes['output.value']).toBe('answer to life');
    expect(one(spans, 'secret').attributes['output.value']).toBeUndefined();
  });

  it('tool() records the arguments array as input.value and the result as output (sync and async)', async () => {
    const add = tool(function add_numbers(a: number, b: number) {
      return a + b;
    });
    const fetchIt = tool(
      async function fetch_it(url: string) {
        await Promise.resolve();
        return { url, status: 200 };
      },
      { name: 'http_get' },
    );
    const noCapture = tool(
      function private_tool(x: string) {
        return x.toUpperCase();
      },
      { captureInput: false, captureOutput: false },
    );
    await begin({ event: 'agent' }, async () => {
      expect(add(1, 2)).toBe(3);
      expect(await fetchIt('https://x')).toEqual({ url: 'https://x', status: 200 });
      expect(noCapture('s')).toBe('S');
    });
    const spans = await received();
    const agent = one(spans, 'agent');
    expect(one(spans, 'add_numbers').attributes).toMatchObject({
      'input.value': '[1,2]',
      'output.value': '3',
      [SPAN_KIND]: 'tool',
    });
    expect(one(spans, 'add_numbers').parentSpanId).toBe(agent.spanId);
    expect(one(spans, 'http_get').attributes).toMatchObject({
      'input.value': '["https://x"]',
      'output.value': '{"url":"https://x","status":200}',
    });
    expect(one(spans, 'private_tool').attributes['input.value']).toBeUndefined();
    expect(one(spans, 'private_tool').attributes['output.value']).toBeUndefined();
  });

  it('wrappers rethrow the wrapped function’s error unchanged', async () => {
    const err = new Error('inner');
    const bad = tool(function bad_tool() {
      throw err;
    });
    const badAsync = interaction(async function bad_turn() {
      throw err;
    });
    expect(() => bad()).toThrow(err);
    await expect(badAsync()).rejects.toBe(err);
    const spans = await received();
    expect(one(spans, 'bad_tool').status.code).toBe(2);
    expect(one(spans, 'bad_turn').status.code).toBe(2);
  });

  it('an anonymous function without a name is a TypeError at wrap time', () => {
    expect(() => tool(() => 1)).toThrow(TypeError);
    expect(() => interaction(() => 1)).toThrow(TypeError);
    expect(() => tool(() => 1, { name: 'named' })).not.toThrow();
  });
});

describe('identity helpers and precedence (SPEC §6)', () => {
  it('updateCurrentTrace patches the open trajectory and what is recorded in it from then on', async () => {
    start();
    await begin({ event: 'traj' }, async () => {
      trackAi({ event: 'before-update' });
      updateCurrentTrace({ userId: 'u-late', sessionId: 's-late', tags: ['t1'], properties: { plan: 'pro' } });
      trackAi({ event: 'after-update' });
    });
    updateCurrentTrace({ userId: 'nobody' }); // no trajectory: no-op, no throw
    const spans = await received();
    expect(one(spans, 'traj').attributes).toMatchObject({
      'gen_ai.user.id': 'u-late',
      'gen_ai.conversation.id': 's-late',
      'langfuse.tags': ['t1'],
      plan: 'pro',
    });
    expect(one(spans, 'before-update').attributes['gen_ai.user.id']).toBeUndefined();
    expect(one(spans, 'after-update').attributes).toMatchObject({
      'gen_ai.user.id': 'u-late',
      'gen_ai.conversation.id': 's-late',
      'langfuse.tags': ['t1'],
    });
  });

  it('updateCurrentSpan patches the innermost open Bento span', async () => {
    start();
    begin({ event: 'traj' }, () => {
      toolSpan('tool', {}, () => {
        updateCurrentSpan({ properties: { inner: true } });
      });
      updateCurrentSpan({ properties: { outer: 1 } });
    });
    updateCurrentSpan({ properties: { none: 1 } }); // no-op
    const spans = await received();
    expect(one(spans, 'tool').attributes.inner).toBe(true);
    expect(one(spans, 'tool').attributes.outer).toBeUndefined();
    expect(one(spans, 'traj').attributes.outer).toBe(1);
    expect(one(spans, 'traj').attributes.inner).toBeUndefined();
  });

  it('propagateAttributes scopes identity to everything inside fn (sync and async)', async () => {
    start();
    const r = await propagateAttributes({ userId: 'p-user', sessionId: 'p-session', tags: ['p'] }, async () => {
      await Promise.resolve();
      trackAi({ event: 'inside' });
      begin({ event: 'traj-inside' }, () => trackAi({ event: 'nested' }));
      return 'r';
    });
    expect(r).toBe('r');
    trackAi({ event: 'outside' });
    const spans = await received();
    for (const name of ['inside', 'traj-inside', 'nested']) {
      expect(one(spans, name).attributes).toMatchObject({
        'gen_ai.user.id': 'p-user',
        'gen_ai.conversation.id': 'p-session',
        'langfuse.tags': ['p'],
      });
    }
    expect(one(spans, 'outside').attributes['gen_ai.user.id']).toBeUndefined();
  });

  it('precedence: own field > updateCurrentTrace > propagateAttributes > init', async () => {
    start({ userId: 'init-user', sessionId: 'init-session', tags: ['init'] });
    trackAi({ event: 'init-only' });
    await propagateAttributes({ userId: 'prop-user' }, async () => {
      trackAi({ event: 'prop' });
      await begin({ event: 'traj' }, async () => {
        trackAi({ event: 'in-traj-before' });
        updateCurrentTrace({ userId: 'trace-user' });
        trackAi({ event: 'trace' });
        trackAi({ event: 'own', userId: 'own-user' });
      });
    });
    const spans = await received();
    const user = (n: string) => one(spans, n).attributes['gen_ai.user.id'];
    expect(user('init-only')).toBe('init-user');
    expect(user('prop')).toBe('prop-user');
    expect(user('in-traj-before')).toBe('prop-user');
    expect(user('trace')).toBe('trace-user');
    expect(user('own')).toBe('own-user');
    // Fields not overridden anywhere fall back to init.
    expect(one(spans, 'own').attributes['gen_ai.conversation.id']).toBe('init-session');
    expect(one(spans, 'own').attributes['langfuse.tags']).toEqual(['init']);
  });

  it('init source functions returning the wrong type are ignored for that span', async () => {
    start({
      userId: (() => 42) as never,
      sessionId: (async () => 'later') as never,
      tags: (() => 'not-an-array') as never,
    });
    trackAi({ event: 'odd-sources' });
    const span = one(await received(), 'odd-sources');
    expect(span.attributes['gen_ai.user.id']).toBe('42');
    expect(span.attributes['gen_ai.conversation.id']).toBeUndefined();
    expect(span.attributes['langfuse.tags']).toBeUndefined();
  });

  it('init sources may be functions, evaluated per span; a throwing one is ignored for that span', async () => {
    let n = 0;
    let fail = false;
    start({
      userId: () => `user-${++n}`,
      sessionId: () => {
        if (fail) throw new Error('no session here');
        return 'sess';
      },
      tags: () => ['dyn'],
    });
    trackAi({ event: 'one' });
    fail = true;
    expect(() => trackAi({ event: 'two' })).not.toThrow();
    fail = false;
    trackAi({ event: 'three' });
    const spans = await received();
    expect(one(spans, 'one').attributes).toMatchObject({
      'gen_ai.user.id': 'user-1',
      'gen_ai.conversation.id': 'sess',
      'langfuse.tags': ['dyn'],
    });
    expect(one(spans, 'two').attributes['gen_ai.user.id']).toBe('user-2');
    expect(one(spans, 'two').attributes['gen_ai.conversation.id']).toBeUndefined();
    expect(one(spans, 'three').attributes['gen_ai.conversation.id']).toBe('sess');
  });
});
