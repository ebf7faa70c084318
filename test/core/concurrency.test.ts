/**
 * SPEC §3: parent/child links follow the async context. 200 trajectories run concurrently with
 * random awaits in between; every child must land under its own trajectory, never a neighbour's.
 */
import { expect, it } from 'vitest';
import { begin, flush, init, toolSpan, trackAi } from '../../src/index.js';
import { KEY, useReceiver } from './helpers.js';

const receiver = useReceiver();

const pause = () => {
  const r = Math.random();
  if (r < 0.3) return Promise.resolve();
  if (r < 0.6) return new Promise<void>((done) => setImmediate(done));
  return new Promise<void>((done) => setTimeout(done, Math.floor(Math.random() * 5)));
};

it('200 concurrent trajectories: every child’s parent is its own trajectory', async () => {
  init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent', maxQueueSize: 4096, maxExportBatchSize: 512 });
  const N = 200;
  const expected = new Map<string, string>(); // child span id → its trajectory's span id
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      begin({ event: `traj-${i}`, convoId: `c-${i}` }, async (turn) => {
        await pause();
        const llm = trackAi({ event: `llm-${i}` });
        expected.set(llm, turn.eventId);
        await pause();
        const toolId = await toolSpan(`tool-${i}`, { input: i }, async (t) => {
          await pause();
          // A trackAi inside the tool nests under the tool span.
          expected.set(trackAi({ event: `in-tool-${i}` }), t.spanId);
          await pause();
          return t.spanId;
        });
        expected.set(toolId, turn.eventId);
        await pause();
      }),
    ),
  );
  const result = await flush();
  expect(result.ok).toBe(true);
  expect(receiver.spans).toHaveLength(N * 4);
  const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
  for (const [child, parent] of expected) {
    expect(byId.get(child)?.parentSpanId).toBe(parent);
    expect(byId.get(child)?.traceId).toBe(byId.get(parent)?.traceId);
  }
  for (let i = 0; i < N; i++) {
    const traj = receiver.spanByName(`traj-${i}`);
    expect(traj?.parentSpanId).toBeUndefined();
    // Identity follows the same context: each child carries its own trajectory's convoId.
    expect(receiver.spanByName(`llm-${i}`)?.attributes['gen_ai.conversation.id']).toBe(`c-${i}`);
    expect(receiver.spanByName(`tool-${i}`)?.parentSpanId).toBe(traj?.spanId);
  }
  expect(new Set(receiver.spans.filter((s) => s.name.startsWith('traj-')).map((s) => s.traceId)).size).toBe(N);
});
