/** The app's package name, the `service.name` default outside Lambda (see config.ts). */
const packageNames = new Map<string, string | undefined>();

/**
 * `name` of the nearest package.json from the working directory up: the app's own name when it is
 * started from its project, as it almost always is outside Lambda. Read once per directory, and
 * only through `process.getBuiltinModule` (Node >= 20.16), so runtimes without `node:fs` (edge,
 * workers) and older Node simply get OpenTelemetry's `unknown_service:node`.
 */
export function packageName(): string | undefined {
  const proc = typeof process !== 'undefined' ? process : undefined;
  if (typeof proc?.getBuiltinModule !== 'function' || typeof proc.cwd !== 'function') return undefined;
  try {
    const cwd = proc.cwd();
    if (packageNames.has(cwd)) return packageNames.get(cwd);
    const fs = proc.getBuiltinModule('node:fs');
    const path = proc.getBuiltinModule('node:path');
    let name: string | undefined;
    for (let dir = cwd; ; dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const value = (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown }).name;
        name = typeof value === 'string' && value !== '' ? value : undefined;
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
    packageNames.set(cwd, name);
    return name;
  } catch {
    return undefined; // an unreadable or malformed package.json names nothing
  }
}
