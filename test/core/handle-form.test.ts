/**
 * SPEC §3 (changed in 0.2): the handle form `begin(fields)` is inactive. It never changes the
 * caller's context, children are recorded through the handle (`trackAi`, `toolSpan`, `begin`,
 * `run`), and `finish()` never throws: finishing out of order ends what is still open under the
 * trajectory first. Asserted on what the real receiver decoded.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import {
  begin,
  currentInteraction,
  flush,
  init,
  toolSpan,
  trackAi,
  updateCurrentTrace,
  type Interaction,
} from '../../src/index.js';
import { captureLogger, deliveredByName, HEX16, KEY, nextTurn, one, useReceiver } from './helpers.js';

const receiver = useReceiver();
let logger = captureLogger();

beforeEach(() => {
  logger = captureLogger();
  init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'warn', logger });
});

const delivered = (): Promise<Map<string, ReceivedSpan>> => deliveredByName(receiver);

describe('two handle-form turns side by side', () => {
  it('started with Promise.all: neither nests under the other, both finish, nothing throws', async () => {
    // The shape that failed on 0.1: `begin` before the first await runs in the caller's context,
    // so with `enterWith` B became A's child and A.finish() threw out_of_order.
    async function turn(name: string): Promise<string> {
      const t = begin({ event: name, convoId: name });
      await Promise.resolve();
      t.toolSpan(`${name}-tool`, {}, () => 1);
      await nextTurn();
      t.finish({ output: `${name} done` });
      return t.eventId;
    }
    const [a, b] = await Promise.all([turn('turn-a'), turn('turn-b')]);
    expect(a).toMatch(HEX16);
    expect(b).toMatch(HEX16);
    const spans = await delivered();
    const turnA = one(spans, 'turn-a');
    const turnB = one(spans, 'turn-b');
    expect(turnA.parentSpanId).toBeUndefined();
    expect(turnB.parentSpanId).toBeUndefined();
    expect(turnA.traceId).not.toBe(turnB.traceId);
    expect(turnA.attributes['output.value']).toBe('turn-a done');
    expect(turnB.attributes['output.value']).toBe('turn-b done');
    expect(one(spans, 'turn-a-tool').parentSpanId).toBe(turnA.spanId);
    expect(one(spans, 'turn-b-tool').parentSpanId).toBe(turnB.spanId);
    expect(logger.at('warn')).toEqual([]);
  });

  it('a plain call after a handle-form begin is not its child, and currentInteraction() stays undefined', async () => {
    const turn = begin({ event: 'inactive-turn' });
    expect(currentInteraction()).toBeUndefined();
    trackAi({ event: 'beside-the-turn' });
    toolSpan('tool-beside-the-turn', {}, () => 1);
    turn.finish();
    const spans = await delivered();
    expect(one(spans, 'beside-the-turn').parentSpanId).toBeUndefined();
    expect(one(spans, 'tool-beside-the-turn').parentSpanId).toBeUndefined();
  });
});

describe('a plain node:http server without middleware', () => {
  let server: http.Server | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  afterEach(async () => {
    agent.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  function get(port: number, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  }

  it('an unfinished handle-form turn on a keep-alive socket never parents a later request, nor takes its user', async () => {
    let left: Interaction | undefined;
    const sockets: unknown[] = [];
    server = http.createServer((req, res) => {
      sockets.push(req.socket);
      if (req.url === '/a') {
        // Request A opens a turn and answers without finishing it (say, a forgotten finish()).
        left = begin({ event: 'request-a-turn', userId: 'user-a' });
        res.end('a');
        return;
      }
      // Request B, on the same socket: its own identity and calls, no trajectory of its own.
      updateCurrentTrace({ userId: 'user-b' });
      const id = trackAi({ event: 'request-b-llm' });
      res.end(id);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    expect(await get(port, '/a')).toBe('a');
    expect(await get(port, '/b')).toMatch(HEX16);
    // The scenario needs both requests on one connection.
    expect(sockets).toHaveLength(2);
    expect(sockets[1]).toBe(sockets[0]);
    left?.finish();
    const spans = await delivered();
    const a = one(spans, 'request-a-turn');
    const b = one(spans, 'request-b-llm');
    expect(b.parentSpanId).toBeUndefined();
    expect(b.traceId).not.toBe(a.traceId);
    expect(a.attributes['gen_ai.user.id']).toBe('user-a');
    expect(b.attributes['gen_ai.user.id']).toBeUndefined();
  });
});

describe('children through the handle', () => {
  it('trackAi, toolSpan and begin through the handle nest under it and inherit its identity', async () => {
    const turn = begin({ event: 'handle-parent', userId: 'u-handle', convoId: 'c-handle' });
    const llmId = turn.trackAi({ event: 'handle-llm', model: 'gpt-4o', provider: 'openai' });
    expect(llmId).toMatch(HEX16);
    const tool = turn.toolSpan('handle-tool', { input: 'q' });
    tool.end();
    const viaCallback = turn.toolSpan('handle-tool-cb', {}, () => 'tool result');
    expect(viaCallback).toBe('tool result');
    const inner = turn.begin({ event: 'handle-inner' });
    inner.trackAi({ event: 'inner-llm' });
    inner.finish();
    const nested = await turn.begin({ event: 'handle-inner-cb' }, async (i) => {
      await nextTurn();
      trackAi({ event: 'inner-cb-llm' });
      expect(currentInteraction()?.eventId).toBe(i.eventId);
      return 'nested';
    });
    expect(nested).toBe('nested');
    turn.finish();
    const spans = await delivered();
    const parent = one(spans, 'handle-parent');
    for (const name of ['handle-llm', 'handle-tool', 'handle-tool-cb', 'handle-inner', 'handle-inner-cb'])
      expect(one(spans, name).parentSpanId, name).toBe(parent.spanId);
    expect(one(spans, 'inner-llm').parentSpanId).toBe(one(spans, 'handle-inner').spanId);
    expect(one(spans, 'inner-cb-llm').parentSpanId).toBe(one(spans, 'handle-inner-cb').spanId);
    expect(one(spans, 'handle-llm').attributes).toMatchObject({
      'gen_ai.user.id': 'u-handle',
      'gen_ai.conversation.id': 'c-handle',
    });
    expect(one(spans, 'inner-llm').attributes['gen_ai.user.id']).toBe('u-handle');
    expect(one(spans, 'handle-tool-cb').attributes['output.value']).toBe('tool result');
  });

  it('run(fn) makes the trajectory ambient for fn (sync and async), returns its result and does not finish it', async () => {
    const turn = begin({ event: 'run-turn' });
    const sync = turn.run(() => {
      expect(currentInteraction()?.eventId).toBe(turn.eventId);
      trackAi({ event: 'run-sync-llm' });
      return 1;
    });
    const asyncResult = await turn.run(async () => {
      await nextTurn();
      expect(currentInteraction()?.eventId).toBe(turn.eventId);
      updateCurrentTrace({ userId: 'set-in-run' });
      toolSpan('run-async-tool', {}, () => 2);
      return 2;
    });
    expect([sync, asyncResult]).toEqual([1, 2]);
    expect(currentInteraction()).toBeUndefined();
    const boom = new Error('boom');
    expect(() =>
      turn.run(() => {
        throw boom;
      }),
    ).toThrow(boom);
    await flush();
    // run() did not finish the turn: it is still open, so not delivered yet.
    expect(receiver.spanByName('run-turn')).toBeUndefined();
    turn.trackAi({ event: 'after-run-llm' });
    turn.finish();
    const spans = await delivered();
    const t = one(spans, 'run-turn');
    expect(one(spans, 'run-sync-llm').parentSpanId).toBe(t.spanId);
    expect(one(spans, 'run-async-tool').parentSpanId).toBe(t.spanId);
    expect(t.attributes['gen_ai.user.id']).toBe('set-in-run');
    expect(one(spans, 'after-run-llm').attributes['gen_ai.user.id']).toBe('set-in-run');
    // An error thrown inside run() is the caller's to handle: the trajectory is not marked failed.
    expect(t.status.code).not.toBe(2);
  });

  it('run() needs a function: a TypeError naming it', () => {
    const turn = begin({ event: 'run-type' });
    expect(() => turn.run(undefined as never)).toThrow(/run\(\) expects a function/);
    turn.finish();
  });
});

describe('finish() never throws', () => {
  it('finishing out of order ends what is open under it first, innermost first, marked unfinished, with one warning', async () => {
    const outer = begin({ event: 'ooo-outer' });
    const inner = outer.begin({ event: 'ooo-inner' });
    const innerTool = inner.toolSpan('ooo-inner-tool');
    const sibling = outer.toolSpan('ooo-sibling-tool');
    expect(() => outer.finish({ output: 'done' })).not.toThrow();
    // The handles of the spans it ended are finished too: ending them again is a no-op.
    expect(() => {
      inner.finish({ output: 'late' });
      innerTool.end();
      sibling.end();
    }).not.toThrow();
    const spans = await delivered();
    const o = one(spans, 'ooo-outer');
    expect(o.attributes['output.value']).toBe('done');
    expect(o.attributes['bentolabs.unfinished']).toBeUndefined();
    for (const name of ['ooo-inner', 'ooo-inner-tool', 'ooo-sibling-tool'])
      expect(one(spans, name).attributes['bentolabs.unfinished'], name).toBe(true);
    expect(one(spans, 'ooo-inner').attributes['output.value']).toBeUndefined();
    expect(one(spans, 'ooo-inner').parentSpanId).toBe(o.spanId);
    expect(one(spans, 'ooo-inner-tool').parentSpanId).toBe(one(spans, 'ooo-inner').spanId);
    // Innermost first, later siblings first: the order in which spans ended is the order in which
    // they were queued and exported (span end times are not comparable across spans below 1 ms).
    expect(receiver.spans.map((s) => s.name)).toEqual(['ooo-sibling-tool', 'ooo-inner-tool', 'ooo-inner', 'ooo-outer']);
    const warnings = logger.at('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"ooo-outer" finished while 3 span\(s\) opened under it were still open/);
    expect(warnings[0]).toContain('"ooo-inner-tool"');
  });

  it('with fields whose getters throw, finish() still ends the span and does not throw', async () => {
    const turn = begin({ event: 'hostile-finish' });
    const hostile = {
      get output(): unknown {
        throw new Error('getter');
      },
    };
    expect(() => turn.finish(hostile)).not.toThrow();
    const spans = await delivered();
    expect(one(spans, 'hostile-finish').name).toBe('hostile-finish');
  });

  it('the callback form ends a handle left open inside it the same way', async () => {
    await begin({ event: 'cb-outer' }, async () => {
      begin({ event: 'cb-left-open' });
      await nextTurn();
    });
    const spans = await delivered();
    expect(one(spans, 'cb-left-open').attributes['bentolabs.unfinished']).toBe(true);
    expect(one(spans, 'cb-left-open').parentSpanId).toBe(one(spans, 'cb-outer').spanId);
    expect(logger.matching('warn', /"cb-outer" finished while 1 span/)).toHaveLength(1);
  });
});
