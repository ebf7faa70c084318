import { defineConfig } from 'tsup';
import { noMachineIdDetectors, saveMetafile } from './scripts/build-plugins.mjs';

// The OpenTelemetry SDK packages are bundled into our output on purpose: their 2.x line declares
// the peer `@opentelemetry/api <1.10.0`, which makes `npm install` fail with ERESOLVE in apps that
// already use OpenTelemetry 3.x (api 1.10). Bundling also lets esbuild shake out the code we never
// load, which is most of the cold-start cost. Only `@opentelemetry/api` stays external, so the
// host's and our code share one context manager (needed to suppress tracing of our exports).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    lambda: 'src/adapters/lambda.ts',
    middy: 'src/adapters/middy.ts',
    express: 'src/adapters/express.ts',
    next: 'src/adapters/next.ts',
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
  external: ['@opentelemetry/api', 'next/server', 'next', '@middy/core', 'express'],
  noExternal: [/^@opentelemetry\/(?!api$)/],
  // No chunk nothing imports (OpenTelemetry's machine-id detectors), and a metafile per format for
  // scripts/check-package.mjs (bundled packages vs THIRD_PARTY_NOTICES.md).
  esbuildPlugins: [noMachineIdDetectors, saveMetafile((options) => `tsup${options.outExtension?.['.js'] ?? '.js'}`)],
  esbuildOptions(options) {
    // The OpenTelemetry packages ship ESM under `module`; preferring it lets esbuild tree-shake
    // them (their CommonJS `main` builds cannot be shaken).
    options.mainFields = ['module', 'main'];
  },
});
