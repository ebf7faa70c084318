/**
 * `bentolabs doctor` in AWS Lambda (or with `--handler file#export`): loads the function's handler
 * and checks that `wrapHandler` wraps it. An unwrapped handler loses the spans still queued when
 * Lambda freezes the process; inside the function the SDK also warns at the first such span
 * (`lambda_unwrapped` in `status().warnings`), but doctor can say it before a deploy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { detectServerless, environmentValue } from '../core/config.js';
import { sharedSymbol } from '../core/global.js';
import type { DoctorCheck } from './doctor.js';

// Set by wrapHandler on the function it returns (src/adapters/lambda.ts), by any copy of this release line.
const WRAPPED = sharedSymbol('lambda.wrapped');

/** `index.handler` (Lambda's `_HANDLER`) or `file.mjs#handler` as a file and an export name. */
function locate(spec: string, root: string): { file: string | undefined; name: string } {
  const hash = spec.lastIndexOf('#');
  if (hash > 0) return { file: path.resolve(root, spec.slice(0, hash)), name: spec.slice(hash + 1) };
  const dot = spec.lastIndexOf('.');
  const base = dot > 0 ? spec.slice(0, dot) : spec;
  const name = dot > 0 ? spec.slice(dot + 1) : 'handler';
  const file = ['.mjs', '.js', '.cjs', ''].map((ext) => path.resolve(root, base + ext)).find((f) => fs.existsSync(f));
  return { file, name };
}

export async function handlerCheck(explicit: string | undefined): Promise<DoctorCheck | undefined> {
  const spec = explicit ?? (detectServerless() === 'aws_lambda' ? environmentValue('_HANDLER') : undefined);
  if (!spec) return undefined;
  const base = { id: 'handler' as const, title: 'Handler' };
  const { file, name } = locate(
    spec,
    explicit ? process.cwd() : (environmentValue('LAMBDA_TASK_ROOT') ?? process.cwd()),
  );
  if (!file || !fs.existsSync(file))
    return { ...base, status: 'info', detail: `could not find the handler file of \`${spec}\`` };
  let fn: unknown;
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    fn = mod[name] ?? (mod.default as Record<string, unknown> | undefined)?.[name];
  } catch (error) {
    return { ...base, status: 'info', detail: `could not load ${file}: ${(error as Error).message}` };
  }
  if (typeof fn !== 'function')
    return { ...base, status: 'info', detail: `${path.basename(file)} has no exported function \`${name}\`` };
  if ((fn as unknown as Record<symbol, unknown>)[WRAPPED])
    return { ...base, status: 'ok', detail: `${path.basename(file)}#${name} is wrapped by wrapHandler` };
  // Middy's handler object carries .use(); whether bentoMiddleware() is on it is not visible from outside.
  if (typeof (fn as { use?: unknown }).use === 'function')
    return {
      ...base,
      status: 'info',
      detail: `${path.basename(file)}#${name} is a Middy handler: make sure .use(bentoMiddleware()) is on it`,
    };
  return {
    ...base,
    status: 'warn',
    detail: `${path.basename(file)}#${name} is not wrapped by wrapHandler: spans still queued when Lambda freezes the process are lost`,
    fix: "Export `wrapHandler(handler)` from '@bentolabs/sdk/lambda' (or use bentoMiddleware() with Middy or serverless-http).",
  };
}
