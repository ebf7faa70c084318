import path from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';
import { noMachineIdDetectors, saveMetafile } from './scripts/build-plugins.mjs';

/**
 * OpenTelemetry's `platform/node` files use `Buffer` and `process.env` (a Worker has neither) and
 * read OTEL_* variables meant for the host; their `platform/browser` twins use only what every
 * runtime has (Math.random ids, no environment). One build serves Node.js and the edge runtimes,
 * so every runtime gets the browser twin, the same ids and the same (ignored) OTEL_* variables.
 */
const otelPortablePlatform: Plugin = {
  name: 'otel-portable-platform',
  setup(build) {
    build.onResolve({ filter: /^(\.\.?\/)+platform(\/index\.js)?$/ }, (args) =>
      /[\\/]@opentelemetry[\\/]/.test(args.importer)
        ? { path: path.join(args.resolveDir, args.path.replace(/\/index\.js$/, ''), 'browser', 'index.js') }
        : undefined,
    );
  },
};

// The OpenTelemetry SDK packages are bundled into our output on purpose: their 2.x line declares
// the peer `@opentelemetry/api <1.10.0`, which makes `npm install` fail with ERESOLVE in apps that
// already use OpenTelemetry 3.x (api 1.10). Bundling also lets esbuild shake out the code we never
// load, which is most of the cold-start cost. Only `@opentelemetry/api` stays external, so the
// host's and our code share one context manager (needed to suppress tracing of our exports).
const main: Options = {
  entry: {
    index: 'src/index.ts',
    lambda: 'src/adapters/lambda.ts',
    // Internal (not in package.json exports): what the ESM-only `lambda-register` below imports.
    'lambda-extension': 'src/core/lambda-extension.ts',
    // `@bentolabs/sdk/lambda/register` for `require` (and the types of both of its forms).
    'lambda-preload': 'src/adapters/lambda-preload.ts',
    middy: 'src/adapters/middy.ts',
    express: 'src/adapters/express.ts',
    next: 'src/adapters/next.ts',
    openai: 'src/integrations/openai.ts',
    anthropic: 'src/integrations/anthropic.ts',
    ai: 'src/integrations/ai.ts',
    // The two implementations of `#transport` (package.json `imports`), chosen by export conditions
    // when the app is bundled or loaded: never bundled into the chunks that import them.
    'transport-node': 'src/core/transport-node.ts',
    'transport-fetch': 'src/core/transport-fetch.ts',
    cloudflare: 'src/adapters/cloudflare.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  treeshake: true,
  sourcemap: false,
  // Not cleaned here: parallel builds (tests, benches) must never see an empty dist/. `npm test`
  // removes dist/ once before its own build.
  clean: false,
  target: 'node20',
  platform: 'node',
  // Keep `node:` on built-in imports: Workers and Vercel Edge only know `node:async_hooks`.
  removeNodeProtocol: false,
  external: [
    '#transport',
    'cloudflare:workers',
    '@opentelemetry/api',
    'next/server',
    'next',
    '@middy/core',
    'express',
    'openai',
    '@anthropic-ai/sdk',
    'ai',
  ],
  noExternal: [/^@opentelemetry\/(?!api$)/],
  // No chunk nothing imports (OpenTelemetry's machine-id detectors), and a metafile per format for
  // scripts/check-package.mjs (bundled packages vs THIRD_PARTY_NOTICES.md).
  esbuildPlugins: [
    otelPortablePlatform,
    noMachineIdDetectors,
    saveMetafile((options) => `tsup${options.outExtension?.['.js'] ?? '.js'}`),
  ],
  esbuildOptions(options) {
    // The OpenTelemetry packages ship ESM under `module`; preferring it lets esbuild tree-shake
    // them (their CommonJS `main` builds cannot be shaken).
    options.mainFields = ['module', 'main'];
  },
};

// ESM only: the Lambda extension registration awaits at top level (see src/adapters/lambda-register.ts).
// `lambda-entry` is the ESM `@bentolabs/sdk/lambda`: it imports the registration and re-exports the
// adapter built above, kept external so that both stay the files (and module instances) they are.
const lambdaEsm: Options = {
  entry: { 'lambda-register': 'src/adapters/lambda-register.ts', 'lambda-entry': 'src/adapters/lambda-entry.ts' },
  format: ['esm'],
  dts: false,
  splitting: false,
  treeshake: true,
  sourcemap: false,
  clean: false,
  target: 'node20',
  platform: 'node',
  esbuildPlugins: [
    saveMetafile('tsup-lambda-esm'),
    {
      // Both import files of the main build above instead of bundling second copies of them.
      name: 'use-main-build',
      setup(build) {
        build.onResolve({ filter: /^\.\/lambda(-register)?\.js$/ }, (args) =>
          args.importer.endsWith('lambda-entry.ts') ? { path: args.path, external: true } : undefined,
        );
        build.onResolve({ filter: /\/lambda-extension\.js$/ }, (args) =>
          args.importer.endsWith('lambda-register.ts') ? { path: './lambda-extension.js', external: true } : undefined,
        );
      },
    },
  ],
  esbuildOptions(options) {
    options.mainFields = ['module', 'main'];
  },
};

export default defineConfig([main, lambdaEsm]);
