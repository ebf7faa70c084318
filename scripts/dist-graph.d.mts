export function entryPoints(pkg: object): string[];
export function orphans(
  root: string,
  pkg: object,
  dir?: string,
): { reached: string[]; orphans: string[]; missing: string[] };
