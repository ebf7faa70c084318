/**
 * The Lambda example as it would be deployed: esbuild bundles examples/lambda/src/handler.ts
 * (what `sam build` does) without any Express, Next, Middy or React code, and the bundle, run
 * under the freezing Lambda harness, delivers every span of every turn before the freeze.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';
import { attr, byName, isChildOf, lambda, receiver, requireBuild, ROOT, spansOf } from './lambda/helpers.js';

const EXAMPLE = path.join(ROOT, 'examples', 'lambda');
const ENTRY = 'examples/lambda/src/handler.ts';

interface BundleSize {
  bundle(entry: string): Promise<{ bytes: number; inputs: string[] }>;
  FORBIDDEN: RegExp;
}
// bench/ is plain .mjs without declarations; a URL import keeps tsc out of it.
const bench = (): Promise<BundleSize> =>
  import(pathToFileURL(path.join(ROOT, 'bench', 'bundle-size.mjs')).href) as Promise<BundleSize>;

/**
 * What `npm install` inside examples/lambda creates for its `"@bentolabs/sdk": "file:../.."`
 * dependency: a symlink to this repository. Created here when missing, so the example resolves
 * the package (through its `exports`, i.e. dist/) without installing anything.
 */
function linkExampleToPackage(): void {
  const link = path.join(EXAMPLE, 'node_modules', '@bentolabs', 'sdk');
  if (fs.existsSync(path.join(link, 'package.json'))) return;
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.relative(path.dirname(link), ROOT), link, 'dir');
}

beforeAll(() => {
  requireBuild();
  linkExampleToPackage();
});

describe('examples/lambda bundle', { timeout: 30_000 }, () => {
  test('holds no Express, Next, Middy, serverless-http or React code, and none of the other adapters', async () => {
    const { bundle, FORBIDDEN } = await bench();
    const { inputs } = await bundle(ENTRY);

    // Not vacuous: the bundle really contains the handler and the SDK's Lambda entry point...
    expect(inputs).toContain(ENTRY);
    expect(inputs.some((i) => /^dist\/lambda\.js$/.test(i))).toBe(true);
    // ...and the pattern really recognises framework code.
    for (const sample of [
      'node_modules/express/index.js',
      'node_modules/next/dist/server/web/exports/index.js',
      'node_modules/@middy/core/index.js',
      'node_modules/serverless-http/serverless-http.js',
      'node_modules/react/index.js',
    ]) {
      expect(sample).toMatch(FORBIDDEN);
    }

    expect(inputs.filter((i) => FORBIDDEN.test(i))).toEqual([]);
    expect(inputs.filter((i) => /^dist\/(middy|express|next)\.js$/.test(i))).toEqual([]);
  });

  test('keeps the Lambda extension registration (delivery after the response) when bundled as sam build does', async () => {
    // Resolved as in a user's project: through examples/lambda/node_modules and the package's
    // `exports`, with its `sideEffects: false`. 0.2.0 reached the registration through a bare
    // import, which esbuild drops from such a package: every invocation then flushed inline.
    const result = await build({
      entryPoints: [path.join(EXAMPLE, 'src', 'handler.ts')],
      absWorkingDir: EXAMPLE,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const text = result.outputFiles[0]?.text ?? '';
    expect(text).toContain('/v1/traces'); // the SDK really is in it
    expect(text).toContain('/2020-01-01/extension/register');
    expect(text).toContain('Lambda-Extension-Name');
  });
});

describe.skipIf(process.platform === 'win32')('examples/lambda under the Lambda harness', { timeout: 30_000 }, () => {
  let handlerModule: string;

  beforeAll(async () => {
    // Bundled like template.yaml's esbuild settings (ESM, .mjs, a `require` for CommonJS deps).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bento-example-'));
    handlerModule = path.join(dir, 'handler.mjs');
    await build({
      entryPoints: [path.join(ROOT, ENTRY)],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile: handlerModule,
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
      absWorkingDir: ROOT,
    });
    return () => fs.rmSync(dir, { recursive: true, force: true });
  });

  test("three turns of one conversation: each turn's spans all arrive before the freeze", async () => {
    const otlp = await receiver();
    const template = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'events', 'chat.json'), 'utf8')) as { body: string };
    const fn = await lambda(otlp.url, { module: handlerModule, functionName: 'ChatFunction' });

    const messages = ['How do I get a refund?', 'And shipping times?', 'Thanks!'];
    for (const [i, message] of messages.entries()) {
      const requestId = `turn-${i + 1}`;
      const body = JSON.stringify({ ...JSON.parse(template.body), message });
      const result = await fn.invoke({ ...template, body }, { requestId });
      expect(result.outcome).toBe('success');
      expect(fn.frozen).toBe(true);
      const response = result.result as { statusCode: number; body: string };
      expect(response.statusCode).toBe(200);
      const { reply, recordedSpans } = JSON.parse(response.body) as { reply: string; recordedSpans: number };
      expect(reply.length).toBeGreaterThan(0);

      const mine = spansOf(otlp.spans, requestId);
      expect(mine).toHaveLength(recordedSpans);
      const turn = byName(mine, 'chat_turn');
      expect(isChildOf(byName(mine, 'search_docs'), turn)).toBe(true);
      expect(isChildOf(byName(mine, 'llm_call'), turn)).toBe(true);
      expect(attr(turn, 'gen_ai.conversation.id')).toBe('convo-7');
      expect(attr(turn, 'output.value')).toBe(reply);
    }
    expect(otlp.spans).toHaveLength(9);
  });
});
