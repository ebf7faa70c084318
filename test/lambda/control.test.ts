/**
 * Control: the very same SDK handler without wrapHandler loses its spans at the freeze, so the
 * delivery the other tests see is wrapHandler's doing, not the harness's or the SDK's timer.
 * (The raw-OpenTelemetry control, a bare BatchSpanProcessor, lives in test/lambda-harness.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { lambda, nothingCouldHaveArrivedWindow, receiver, spansOf } from './helpers.js';

describe.skipIf(process.platform === 'win32')(
  'control: the same handler with and without wrapHandler',
  { timeout: 20_000 },
  () => {
    test('without wrapHandler nothing has arrived when the process freezes; the spans were stuck, not missing', async () => {
      const otlp = await receiver();
      // control.mjs exports every 20 ms: an unfrozen process would deliver almost at once.
      const fn = await lambda(otlp.url, { module: 'control.mjs', exportName: 'unwrapped' });

      const first = await fn.invoke({ n: 1 }, { requestId: 'req-unwrapped' });
      expect(first).toMatchObject({ outcome: 'success', result: { recordedSpans: 3 } });
      expect(fn.frozen).toBe(true);
      await nothingCouldHaveArrivedWindow();
      expect(otlp.spans).toHaveLength(0);

      // Thawed, and asked to flush: the first invocation's spans were queued all along.
      await fn.invoke({ n: 2, flush: true });
      const firstTurn = otlp.spans.filter((s) => s.attributes.n === 1);
      expect(firstTurn.map((s) => s.name)).toEqual(['control_turn']);
      expect(otlp.spans.map((s) => s.name).sort()).toEqual([
        'control_llm',
        'control_llm',
        'control_tool',
        'control_tool',
        'control_turn',
        'control_turn',
      ]);
      // Nor do they carry Lambda attributes: only wrapHandler knows the invocation.
      expect(spansOf(otlp.spans, 'req-unwrapped')).toHaveLength(0);
    });

    test('with wrapHandler all of it is there at the freeze', async () => {
      const otlp = await receiver();
      const fn = await lambda(otlp.url, { module: 'control.mjs', exportName: 'wrapped' });

      const result = await fn.invoke({ n: 1 }, { requestId: 'req-wrapped' });
      expect(result).toMatchObject({ outcome: 'success', result: { recordedSpans: 3 } });
      expect(fn.frozen).toBe(true);
      expect(
        spansOf(otlp.spans, 'req-wrapped')
          .map((s) => s.name)
          .sort(),
      ).toEqual(['control_llm', 'control_tool', 'control_turn']);
    });
  },
);
