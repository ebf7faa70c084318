/**
 * Delivery after the response (issue #11) under AWS's runtime interface client on Node 22 and
 * 24: an internal extension registered during init holds the freeze while the spans are
 * exported after the runtime posted the response; every fallback delivers before the response,
 * as 0.1 did. The receiver answers each export 20 ms later, so the order of "runtime posted the
 * response" and "receiver answered the export" tells the two apart without reading a clock.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  delivered,
  exportedAfterResponse,
  exportedBeforeResponse,
  exportsOf,
  MAJORS,
  names,
  realRuntime,
  receiver,
  sandbox,
  type Runtime,
} from './real-runtime.js';
import { ROOT } from './helpers.js';

const lambdaOf = (body: string | undefined) => (JSON.parse(body ?? '{}') as { lambda?: unknown }).lambda;

describe.each(MAJORS)('Node %i: delivery after the response', (major) => {
  let rt: Runtime;
  beforeAll(() => {
    rt = realRuntime(major);
  }, 900_000);

  it('an ESM handler (import, init, wrapHandler) registers during init and exports after the response, before the freeze', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url);
    await box.init();
    expect(box.extensions.map((e) => [e.name, e.events])).toEqual([['bentolabs', ['INVOKE']]]);
    for (let i = 0; i < 3; i++) {
      const r = await box.invoke({ i });
      expect(r.outcome).toBe('success');
      expect(lambdaOf(r.body)).toMatchObject({ delivery: 'after-response' });
      expect(exportedAfterResponse(rec, r)).toBe(true);
      expect(names(delivered(rec, r))).toEqual(['async_ok']);
    }
  });

  // Each answer once with the INVOKE event read at once, once with it read 30 ms after the runtime
  // got its event: the answer (Node 22's at the drained loop too) waits for it rather than falling
  // back to flushing before the response.
  it('the callback, drain and streaming answers are exported after the response too', async () => {
    const handlers = major === 22 ? ['syncNothing', 'callbackWaits', 'streamed'] : ['syncNothing', 'streamed'];
    for (const invokeDelayMillis of [0, 30]) {
      for (const handler of handlers) {
        const rec = await receiver();
        const box = await sandbox(rt, `handlers.${handler}`, rec.url, { invokeDelayMillis });
        const r = await box.invoke({});
        expect(r.outcome, `${handler}, INVOKE ${invokeDelayMillis} ms late`).toBe('success');
        expect(exportedAfterResponse(rec, r), `${handler}, INVOKE ${invokeDelayMillis} ms late`).toBe(true);
        expect(delivered(rec, r).length).toBeGreaterThan(0);
      }
    }
  });

  // Once INVOKE events have arrived in the process, an answer does not wait for its own: the
  // emulator sends it only after the runtime posted the response, and the export still ends before
  // the freeze (the extension asks for the next event only after it).
  it('once INVOKE events have arrived, the answer goes before its own INVOKE event and is still exported before the freeze', async () => {
    const handlers = major === 22 ? ['asyncOk', 'syncNothing', 'callbackWaits', 'streamed'] : ['asyncOk', 'streamed'];
    for (const handler of handlers) {
      const rec = await receiver();
      const box = await sandbox(rt, `handlers.${handler}`, rec.url);
      await box.invoke({});
      box.invokeDelivery = 'after-response';
      for (let i = 0; i < 2; i++) {
        const r = await box.invoke({ i });
        const what = `${handler}, invocation ${i + 2}`;
        expect(r.outcome, what).toBe('success');
        expect(r.invokeSentAt, what).toBeGreaterThan(r.respondedAt!);
        expect(exportedAfterResponse(rec, r), what).toBe(true);
        expect(delivered(rec, r).length, what).toBeGreaterThan(0);
        if (handler === 'asyncOk') expect(lambdaOf(r.body)).toMatchObject({ delivery: 'after-response' });
      }
    }
  });

  // Lambda sends INVOKE to every registered extension with every event; an emulator that stops
  // doing so costs the invocation where it stopped (answered without a hold, its export runs into
  // the freeze), is named in a warning, and every later invocation flushes before its response.
  it('INVOKE events stop after some arrived: a warning names the request, later invocations flush before the response', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url);
    const a = await box.invoke({});
    expect(exportedAfterResponse(rec, a)).toBe(true);
    box.invokeDelivery = 'never';
    const b = await box.invoke({});
    expect(b.outcome).toBe('success');
    for (let i = 0; i < 2; i++) {
      const c = await box.invoke({ i });
      expect(lambdaOf(c.body)).toMatchObject({
        delivery: 'inline',
        reason: expect.stringContaining('no INVOKE event'),
      });
      expect(exportedBeforeResponse(rec, c)).toBe(true);
      expect(names(delivered(rec, c))).toEqual(['async_ok']);
    }
    expect(box.logs).toContain(`No INVOKE event arrived for the Lambda request ${b.requestId}`);
    // Here the frozen export of b completed after the thaw; on Lambda it may not.
    expect(names(exportsOf(rec, b).flatMap((x) => x.spans))).toContain('async_ok');
  });

  it('the extension keeps one connection to the Extensions API, and a fresh one when the API closed it', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url);
    for (let i = 0; i < 3; i++) expect(exportedAfterResponse(rec, await box.invoke({ i }))).toBe(true);
    // Registration and every event/next on one connection.
    expect(box.extensionConnections.size).toBe(1);
    box.dropReusedNext = true;
    const dropped = await box.invoke({});
    expect(exportedAfterResponse(rec, dropped)).toBe(true);
    const r = await box.invoke({});
    expect(lambdaOf(r.body)).toMatchObject({ delivery: 'after-response' });
    expect(exportedAfterResponse(rec, r)).toBe(true);
    expect(box.extensionConnections.size).toBe(2);
  });

  it('registration refused: flushes before the response', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url, { extensions: 'refuse' });
    const r = await box.invoke({});
    expect(lambdaOf(r.body)).toMatchObject({ delivery: 'inline', reason: expect.stringContaining('refused') });
    expect(exportedBeforeResponse(rec, r)).toBe(true);
    expect(names(delivered(rec, r))).toEqual(['async_ok']);
  });

  it('no INVOKE event for the request: flushes before the response', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url, { extensions: 'no-invoke' });
    for (let i = 0; i < 2; i++) {
      const r = await box.invoke({ i });
      expect(exportedBeforeResponse(rec, r)).toBe(true);
      expect(names(delivered(rec, r))).toEqual(['async_ok']);
    }
  });

  it('deliverAfterResponse: false flushes before the response', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'opt-out.handler', rec.url);
    const r = await box.invoke({});
    expect(lambdaOf(r.body)).toMatchObject({ delivery: 'inline' });
    expect(exportedBeforeResponse(rec, r)).toBe(true);
    expect(names(delivered(rec, r))).toEqual(['opt_out']);
  });

  it('BENTOLABS_DELIVER_AFTER_RESPONSE=false registers nothing and flushes before the response', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url, { env: { BENTOLABS_DELIVER_AFTER_RESPONSE: 'false' } });
    const r = await box.invoke({});
    expect(box.extensions).toEqual([]);
    expect(lambdaOf(r.body)).toMatchObject({
      delivery: 'inline',
      reason: expect.stringContaining('BENTOLABS_DELIVER'),
    });
    expect(exportedBeforeResponse(rec, r)).toBe(true);
    expect(names(delivered(rec, r))).toEqual(['async_ok']);
  });

  it('a CommonJS handler: after the response with the documented preload, inline without it', async () => {
    const rec = await receiver();
    const preload = `--import ${path.join(ROOT, 'dist', 'lambda-register.js')}`;
    const withPreload = await sandbox(rt, 'commonjs.handler', rec.url, { env: { NODE_OPTIONS: preload } });
    const a = await withPreload.invoke({});
    expect(lambdaOf(a.body)).toMatchObject({ delivery: 'after-response' });
    expect(exportedAfterResponse(rec, a)).toBe(true);
    expect(names(delivered(rec, a))).toEqual(['commonjs']);
    const without = await sandbox(rt, 'commonjs.handler', rec.url);
    const b = await without.invoke({});
    expect(lambdaOf(b.body)).toMatchObject({ delivery: 'inline' });
    expect(exportedBeforeResponse(rec, b)).toBe(true);
    expect(names(delivered(rec, b))).toEqual(['commonjs']);
  });

  it("the extension's requests (its long-poll included) stay out of the host's HTTP instrumentation", async () => {
    const rec = await receiver();
    const preload = `--import ${path.join(ROOT, 'dist', 'lambda-register.js')}`;
    const box = await sandbox(rt, 'instrumented.handler', rec.url, { env: { NODE_OPTIONS: preload } });
    await box.invoke({});
    // The first invocation's long-poll has ended by the second one, so its span would be there.
    const r = await box.invoke({});
    const { lambda, hostSpans } = JSON.parse(r.body!) as { lambda: unknown; hostSpans: string[] };
    expect(lambda).toMatchObject({ delivery: 'after-response' });
    expect(hostSpans.filter((u) => u.endsWith('/host-call'))).toHaveLength(2);
    expect(hostSpans.filter((u) => !u.endsWith('/host-call'))).toEqual([]);
  });

  it('the timeout guard still delivers before the kill', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.timesOut', rec.url, { timeoutMillis: 1500 });
    const r = await box.invoke({});
    expect(r.outcome).toBe('timeout');
    expect(names(delivered(rec, r))).toEqual(['times_out']);
  });

  it('SIGTERM at shutdown: a final flush, and the process ends by SIGTERM as it would have', async () => {
    const rec = await receiver(0);
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url);
    await box.init();
    expect(box.extensions).toHaveLength(1);
    await box.stop();
    expect(box.shutdown?.by).toBe('SIGTERM');
    expect(rec.spans.map((s) => s.name)).toContain('init_span');
  });

  it('Managed Instances: never registers, never delays the response, exports right after it', async () => {
    const rec = await receiver();
    const box = await sandbox(rt, 'handlers.asyncOk', rec.url, {
      managed: true,
      env: { AWS_LAMBDA_MAX_CONCURRENCY: '4', AWS_LAMBDA_NODEJS_WORKER_COUNT: '1' },
    });
    const r = await box.invoke({});
    expect(box.extensions).toEqual([]);
    expect(lambdaOf(r.body)).toMatchObject({ delivery: 'managed-instances' });
    const spans = await rec.waitForSpans(2);
    expect(spans.map((s) => s.name)).toContain('async_ok');
    expect(exportedAfterResponse(rec, r)).toBe(true);
  });
});
