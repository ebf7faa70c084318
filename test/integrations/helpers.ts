/** Shared pieces of the integration tests: the fake provider per file, the SDK pointed at a real receiver. */
import { afterAll, beforeAll, expect } from 'vitest';
import type { ReceivedSpan } from '../../src/dev/otlp.js';
import { flush, init } from '../../src/index.js';
import { ANSWER, FakeLlmServer, responseModel, USAGE } from '../support/fake-llm-server.js';
import type { OtlpReceiver } from '../support/receiver.js';

export { useReceiver, captureLogger } from '../support/sdk-helpers.js';

/** The current majors of `openai`, `@anthropic-ai/sdk` and `ai` need Node.js 22 or newer. */
export const NODE_OK = Number(process.versions.node.split('.')[0]) >= 22;

export const KEY = 'bl_pk_test_integrations_01';
export const STATUS_ERROR = 2;

/** One fake provider for the file. */
export function useFakeLlm(): { readonly server: FakeLlmServer } {
  const holder: { server: FakeLlmServer } = {} as { server: FakeLlmServer };
  beforeAll(async () => {
    holder.server = await FakeLlmServer.start();
  });
  afterAll(() => holder.server?.close());
  return holder;
}

export function startSdk(receiver: OtlpReceiver): void {
  init({ apiKey: KEY, baseUrl: receiver.url, logLevel: 'silent' });
}

/** Flushes and returns every span the receiver decoded. */
export async function received(receiver: OtlpReceiver): Promise<ReceivedSpan[]> {
  const result = await flush();
  expect(result.ok).toBe(true);
  return [...receiver.spans];
}

/** The only span named `name`. */
export function only(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(`Expected one span named ${name}, got ${found.length} (of ${spans.map((s) => s.name).join(', ')})`);
  return found[0]!;
}

export const json = (span: ReceivedSpan, key: string): unknown => JSON.parse(String(span.attributes[key]));

/** What every OpenAI llm span answered by the fake server carries (SPEC §10), for `toMatchObject`. */
export function openAiLlmAttributes(model = 'gpt-test'): Record<string, unknown> {
  return {
    'openinference.span.kind': 'llm',
    'gen_ai.system': 'openai',
    'gen_ai.request.model': model,
    'gen_ai.response.model': responseModel(model),
    'output.value': ANSWER,
    'gen_ai.usage.input_tokens': USAGE.input,
    'gen_ai.usage.output_tokens': USAGE.output,
    'gen_ai.usage.cache_read.input_tokens': USAGE.cached,
    'gen_ai.usage.reasoning_tokens': USAGE.reasoning,
  };
}
