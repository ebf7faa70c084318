/**
 * Each integration is its own entry point (SPEC §1, §10): a Lambda bundle that does not import one
 * carries none of its code, the built entries never load the client packages themselves (they are
 * optional peers, read structurally), and using the integrations registers nothing globally.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { context, propagation, type ProxyTracerProvider, trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import { beforeAll, describe, expect, test } from 'vitest';
import { wrapAnthropic } from '../../src/integrations/anthropic.js';
import { bentoTelemetry } from '../../src/integrations/ai.js';
import { wrapOpenAI } from '../../src/integrations/openai.js';
import { requireBuild, ROOT } from '../lambda/helpers.js';
import { NODE_OK, received, startSdk, useFakeLlm, useReceiver } from './helpers.js';

const receiver = useReceiver();
const fake = useFakeLlm();
const DIST = path.join(ROOT, 'dist');
const CLIENT_IMPORT = /(from\s*|require\(\s*|import\(\s*)["'](openai|@anthropic-ai\/sdk|ai|@ai-sdk\/[^"']+)["']/;

interface BundleSize {
  bundle(entry: string): Promise<{ bytes: number; inputs: string[] }>;
  FORBIDDEN: RegExp;
}

describe('entry points', () => {
  beforeAll(() => requireBuild());

  test('the examples/lambda bundle holds no integration code and no client package', async () => {
    const { bundle, FORBIDDEN } = (await import(
      pathToFileURL(path.join(ROOT, 'bench', 'bundle-size.mjs')).href
    )) as BundleSize;
    const { inputs } = await bundle('examples/lambda/src/handler.ts');
    const dist = inputs.filter((i) => i.startsWith('dist/'));
    expect(dist).toContain('dist/lambda.js');
    expect(dist.filter((i) => /^dist\/(openai|anthropic|ai)\.js$/.test(i))).toEqual([]);
    // tsup keeps each source module's path as a comment: no chunk of the bundle comes from src/integrations.
    const withIntegrations = dist.filter((i) =>
      fs.readFileSync(path.join(ROOT, i), 'utf8').includes('src/integrations/'),
    );
    expect(withIntegrations).toEqual([]);
    for (const sample of [
      'node_modules/openai/index.mjs',
      'node_modules/@anthropic-ai/sdk/index.mjs',
      'node_modules/ai/dist/index.js',
    ])
      expect(sample).toMatch(FORBIDDEN);
    expect(inputs.filter((i) => FORBIDDEN.test(i))).toEqual([]);
    // Not vacuous: the integration entries do carry their code.
    expect(fs.readFileSync(path.join(DIST, 'openai.js'), 'utf8')).toContain('src/integrations/openai.ts');
  });

  test('no built file imports openai, @anthropic-ai/sdk or ai', () => {
    const files = fs.readdirSync(DIST).filter((f) => /\.(c?js)$/.test(f) && !f.startsWith('cli'));
    expect(files).toContain('ai.cjs');
    expect(files.filter((f) => CLIENT_IMPORT.test(fs.readFileSync(path.join(DIST, f), 'utf8')))).toEqual([]);
    expect(CLIENT_IMPORT.test('import OpenAI from "openai"')).toBe(true);
  });
});

describe.skipIf(!NODE_OK)('no global OpenTelemetry registration', () => {
  test('after calls through every integration, the global provider, propagator and context are untouched', async () => {
    startSdk(receiver);
    const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk', baseURL: fake.server.openaiBaseUrl, maxRetries: 0 }));
    const anthropic = wrapAnthropic(new Anthropic({ apiKey: 'sk', baseURL: fake.server.url, maxRetries: 0 }));
    await openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await generateText({
      model: createOpenAI({ apiKey: 'sk', baseURL: fake.server.openaiBaseUrl }).chat('gpt-test'),
      prompt: 'hi',
      telemetry: { integrations: [bentoTelemetry()] },
    });
    expect((await received(receiver)).length).toBe(4);
    const provider = trace.getTracerProvider() as ProxyTracerProvider;
    expect(provider.getDelegate().constructor.name).toBe('NoopTracerProvider');
    expect(propagation.fields()).toEqual([]);
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
