import type { BuildOptions, Plugin } from 'esbuild';

export const metaDir: string;
export const noMachineIdDetectors: Plugin;
export function saveMetafile(name: string | ((options: BuildOptions) => string)): Plugin;
