/**
 * An esbuild plugin that resolves `@bentolabs/sdk` and its subpaths to this repo's build (dist/),
 * following package.json `exports`. The example has its own package.json (for `sam build`), so
 * esbuild would otherwise look for the SDK in examples/lambda/node_modules.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './setup.mjs';

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

export const sdkResolver = {
  name: 'bentolabs-sdk-from-repo',
  setup(build) {
    build.onResolve({ filter: /^@bentolabs\/sdk(\/.*)?$/ }, (args) => {
      const sub = `.${args.path.slice('@bentolabs/sdk'.length)}`;
      const target = pkg.exports[sub === '.' ? '.' : sub];
      if (!target) return { errors: [{ text: `@bentolabs/sdk has no export ${sub}` }] };
      return { path: path.join(root, target.import.default) };
    });
  },
};
