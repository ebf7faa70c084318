/**
 * The extension's own timers are the SDK's real ones (timers.ts): registration against an
 * Extensions API that accepts the connection and never answers still gives up after its 2 s bound
 * while a test runner's fake timers are installed, and the process falls back to flushing before
 * each response. With the global `setTimeout`, vitest's fake one, it never would.
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { sharedSymbol } from '../../src/core/global.js';
import { registerExtension } from '../../src/core/lambda-extension.js';
import { extensionState } from '../../src/core/lambda-state.js';
import { sandboxEnv } from '../support/sdk-helpers.js';

const setRealTimeout = globalThis.setTimeout;
const LAMBDA_ENV = ['AWS_LAMBDA_RUNTIME_API', 'AWS_LAMBDA_MAX_CONCURRENCY', 'AWS_LAMBDA_INITIALIZATION_TYPE'];
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('registration against a silent Extensions API gives up under fake timers', async () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  const restoreEnv = sandboxEnv();
  const saved = LAMBDA_ENV.map((n) => [n, process.env[n]] as const);
  cleanups.push(() => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
    restoreEnv();
  });
  for (const n of LAMBDA_ENV) delete process.env[n];
  delete process.env.BENTOLABS_DELIVER_AFTER_RESPONSE;
  process.env.AWS_LAMBDA_RUNTIME_API = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const slot = globalThis as unknown as Record<symbol, unknown>;
  const key = sharedSymbol('lambda-extension');
  const before = slot[key];
  delete slot[key];
  cleanups.push(() => {
    slot[key] = before;
  });

  vi.useFakeTimers();
  const registered = registerExtension();
  const hung = new Promise<'hung'>((resolve) => setRealTimeout(() => resolve('hung'), 6000));
  expect(await Promise.race([registered.then(() => 'done'), hung])).toBe('done');
  expect(extensionState()).toMatchObject({
    registered: false,
    delivery: 'inline',
    reason: expect.stringContaining('no answer within 2000 ms'),
  });
  expect(sockets.length).toBe(1);
}, 10_000);
