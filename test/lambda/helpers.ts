/**
 * Shared set-up of the Lambda adapter tests: a real OTLP receiver, the freezing Lambda harness
 * running fixtures that import the BUILT package, and small readers for received spans.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { LambdaHarness, type LambdaHarnessOptions } from '../support/lambda-runtime/index.js';
import { OtlpReceiver } from '../support/receiver.js';
import type { ReceivedSpan } from '../../src/dev/otlp.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'lambda');
export const fixture = (name: string): string => path.join(FIXTURES, name);
export const API_KEY = 'bl_pk_test_0000000000';

/** Fixtures load dist/ through the package's self-reference; a stale or missing build would mislead. */
export function requireBuild(): void {
  for (const file of ['index.js', 'lambda.js']) {
    if (!fs.existsSync(path.join(ROOT, 'dist', file)))
      throw new Error(`dist/${file} is missing: run \`npx tsup\` before the Lambda tests.`);
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

export async function receiver(): Promise<OtlpReceiver> {
  const started = await OtlpReceiver.start();
  cleanups.push(() => started.close());
  return started;
}

/** Starts a harness on `module` (a fixture name or an absolute path) with the SDK pointed at `baseUrl`; stopped after the test. */
export async function lambda(
  baseUrl: string,
  options: Omit<LambdaHarnessOptions, 'handlerModule'> & { module: string },
): Promise<LambdaHarness> {
  const { module, env, ...rest } = options;
  requireBuild();
  const started = await LambdaHarness.start({
    handlerModule: path.isAbsolute(module) ? module : fixture(module),
    ...rest,
    env: { BENTOLABS_API_KEY: API_KEY, BENTOLABS_BASE_URL: baseUrl, ...env },
  });
  cleanups.push(() => started.stop());
  return started;
}

/** A URL where nothing listens: a port we bound and released. */
export async function deadUrl(): Promise<string> {
  const closed = await OtlpReceiver.start();
  await closed.close();
  return closed.url;
}

export const attr = (span: ReceivedSpan, key: string): unknown => span.attributes[key];

export function spansOf(spans: readonly ReceivedSpan[], requestId: string): ReceivedSpan[] {
  return spans.filter((s) => attr(s, 'faas.invocation_id') === requestId);
}

export function byName(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(
      `Expected exactly one span named ${name}, got ${found.length} (of ${spans.map((s) => s.name).join(', ') || 'none'})`,
    );
  return found[0]!;
}

/** Whether `child` is a direct child of `parent`, in the same trace. */
export function isChildOf(child: ReceivedSpan, parent: ReceivedSpan): boolean {
  return child.traceId === parent.traceId && child.parentSpanId === parent.spanId;
}

export const STATUS_ERROR = 2;

/**
 * Negative checks need a window: an unfrozen child would deliver within ~20 ms (the control
 * fixture's export delay); we wait many times that. Not a timing assertion.
 */
export const nothingCouldHaveArrivedWindow = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

/** The SDK's own log lines from a captured invocation output. */
export const sdkLines = (logs: string): string[] => logs.split('\n').filter((line) => line.includes('[bentolabs]'));
