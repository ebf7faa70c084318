/**
 * Set-up for the suites that run handlers under AWS's own runtime interface client (Node 22 with
 * aws-lambda-ric 3.x, Node 24 with 4.x) behind the Runtime API emulator, with a real OTLP receiver
 * that answers exports `latencyMillis` later (so an export nobody waited for is lost at the freeze).
 */
import path from 'node:path';
import { afterEach } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { ensureNode, ensureRic } from '../../scripts/runtimes.mjs';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { LambdaSandbox, type InvokeRecord, type SandboxOptions } from '../support/runtime-api/index.js';
import { OtlpReceiver, type ReceivedRequest } from '../support/receiver.js';
import { API_KEY, requireBuild, ROOT } from './helpers.js';

export const MAJORS = [22, 24] as const;
export const FIXTURES = path.join(ROOT, 'test', 'lambda', 'fixtures');

export interface Runtime {
  major: number;
  node: string;
  ric: string;
}

/** The Node binary and runtime client for `major`, installed and built on first use (minutes). */
export function realRuntime(major: number): Runtime {
  requireBuild();
  return { major, node: ensureNode(major) as string, ric: ensureRic(major) as string };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

export async function receiver(latencyMillis = 20): Promise<OtlpReceiver> {
  const started = await OtlpReceiver.start();
  started.latencyMillis = latencyMillis;
  cleanups.push(() => started.close());
  return started;
}

/** A sandbox running `handler` (`file.export` under test/lambda/fixtures), exporting to `receiver`. */
export async function sandbox(
  runtime: Runtime,
  handler: string,
  receiverUrl: string,
  options: Partial<Omit<SandboxOptions, 'node' | 'ric' | 'handler'>> = {},
): Promise<LambdaSandbox> {
  const started = await LambdaSandbox.start({
    node: runtime.node,
    ric: runtime.ric,
    taskRoot: FIXTURES,
    handler,
    timeoutMillis: 30_000,
    ...options,
    env: { BENTOLABS_API_KEY: API_KEY, BENTOLABS_BASE_URL: receiverUrl, ...options.env },
  });
  cleanups.push(() => started.stop());
  return started;
}

/** The export requests that carried spans of `record`'s invocation. */
export function exportsOf(receiver: OtlpReceiver, record: InvokeRecord): ReceivedRequest[] {
  return receiver.requests.filter((r) => r.spans.some((s) => s.attributes['faas.invocation_id'] === record.requestId));
}

/** Spans of `record`'s invocation whose export the receiver answered before the sandbox froze. */
export function delivered(receiver: OtlpReceiver, record: InvokeRecord): ReceivedSpan[] {
  return exportsOf(receiver, record)
    .filter((r) => r.accepted && r.answeredAt !== undefined && r.answeredAt <= record.frozenAt)
    .flatMap((r) => r.spans.filter((s) => s.attributes['faas.invocation_id'] === record.requestId));
}

export const names = (spans: readonly ReceivedSpan[]): string[] => spans.map((s) => s.name).sort();

/** Whether every export of the invocation was answered after the runtime had posted the response. */
export function exportedAfterResponse(receiver: OtlpReceiver, record: InvokeRecord): boolean {
  const answered = exportsOf(receiver, record).map((r) => r.answeredAt ?? Infinity);
  return answered.length > 0 && record.respondedAt !== undefined && answered.every((t) => t > record.respondedAt!);
}

/** Whether the response waited for the export (the inline flush of 0.1). */
export function exportedBeforeResponse(receiver: OtlpReceiver, record: InvokeRecord): boolean {
  const answered = exportsOf(receiver, record).map((r) => r.answeredAt ?? Infinity);
  return answered.length > 0 && record.respondedAt !== undefined && answered.every((t) => t < record.respondedAt!);
}
