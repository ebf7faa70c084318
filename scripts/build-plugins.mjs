/**
 * esbuild plugins shared by tsup.config.ts (the library) and scripts/build-dev.mjs (the CLI and
 * dashboard bundles).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where builds of dist/ leave their esbuild metafiles (read by check-package and notices). */
export const metaDir = path.join(root, '.tmp', 'build-meta');

/**
 * `@opentelemetry/resources` reaches its machine-id detectors (`getMachineId-linux`, `-darwin`,
 * `-bsd`, `-win`, `-unsupported`) through dynamic `import()`s. The SDK never runs a resource
 * detector (it builds its resource with `resourceFromAttributes`), so tree-shaking drops the caller,
 * but esbuild's code splitting still emits every dynamic import target as a chunk that nothing
 * loads: ten orphan files (and a shared chunk) in 0.1's dist/. This stub replaces the dispatcher
 * with "no machine id", which is what the host detector reports on a platform it does not know.
 */
export const noMachineIdDetectors = {
  name: 'bentolabs-no-machine-id-detectors',
  setup(build) {
    build.onResolve({ filter: /[\\/]machine-id[\\/]getMachineId(\.js)?$/ }, (args) =>
      /[\\/]@opentelemetry[\\/]resources[\\/]/.test(args.importer)
        ? { path: 'getMachineId', namespace: 'bentolabs-stub' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'bentolabs-stub' }, () => ({
      contents: 'export async function getMachineId() { return undefined; }',
      loader: 'js',
    }));
  },
};

/**
 * Saves the build's metafile as `.tmp/build-meta/<name>.json` when the build writes to dist/ (not
 * a test's private output directory): the list of bundled packages the notices must cover.
 */
export function saveMetafile(name) {
  return {
    name: 'bentolabs-save-metafile',
    setup(build) {
      build.initialOptions.metafile = true;
      build.onEnd((result) => {
        const out = build.initialOptions.outdir ?? path.dirname(build.initialOptions.outfile ?? '');
        const inDist = path.relative(path.join(root, 'dist'), path.resolve(root, out));
        if (!result.metafile || inDist.startsWith('..') || path.isAbsolute(inDist)) return;
        const file = typeof name === 'function' ? name(build.initialOptions) : name;
        mkdirSync(metaDir, { recursive: true });
        writeFileSync(path.join(metaDir, `${file}.json`), JSON.stringify(result.metafile));
      });
    },
  };
}
