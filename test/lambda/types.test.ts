/**
 * Types of `@bentolabs/sdk/lambda` against `@types/aws-lambda`. The `expectTypeOf` assertions are
 * checked by `tsc --noEmit -p .` (this file is part of the project); the runtime tests check the
 * PUBLISHED declarations: they import nothing from `aws-lambda`, and a consumer compiled against
 * dist/ (with and without `@types/aws-lambda`) type-checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import type { APIGatewayProxyHandlerV2, Callback, Context, Handler, SQSHandler, StreamifyHandler } from 'aws-lambda';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { wrapHandler, type LambdaContextLike } from '../../src/adapters/lambda.js';
import { requireBuild, ROOT } from './helpers.js';

// ---- Compile-time: checked by tsc, never executed. ----
function typeChecks(): void {
  const api: APIGatewayProxyHandlerV2 = async (event) => ({ statusCode: 200, body: event.rawPath });
  expectTypeOf(wrapHandler(api)).toEqualTypeOf<APIGatewayProxyHandlerV2>();

  const generic: Handler<{ n: number }, string> = async (event) => String(event.n);
  expectTypeOf(wrapHandler(generic)).toEqualTypeOf<Handler<{ n: number }, string>>();

  const sqs: SQSHandler = async () => undefined;
  expectTypeOf(wrapHandler(sqs)).toEqualTypeOf<SQSHandler>();

  // Callback style, written against the aws-lambda types.
  const withCallback = (event: { id: string }, context: Context, callback: Callback<string>): void => {
    callback(null, `${event.id}:${context.awsRequestId}`);
  };
  expectTypeOf(wrapHandler(withCallback)).toEqualTypeOf<typeof withCallback>();
  const typedCallback: Handler<unknown, number> = (_event, _context, callback) => callback(null, 1);
  expectTypeOf(wrapHandler(typedCallback)).toEqualTypeOf<Handler<unknown, number>>();

  // Untyped inference keeps the handler's own signature.
  const inferred = wrapHandler(async (event: { q: string }) => ({ answer: event.q }));
  expectTypeOf(inferred).parameters.toEqualTypeOf<[event: { q: string }]>();
  expectTypeOf(inferred).returns.resolves.toEqualTypeOf<{ answer: string }>();

  const streaming: StreamifyHandler<unknown, void> = async (_event, responseStream) => {
    responseStream.end('x');
  };
  expectTypeOf(wrapHandler(streaming)).toEqualTypeOf<StreamifyHandler<unknown, void>>();

  // The real Context satisfies the structural type the adapter declares.
  expectTypeOf<Context>().toExtend<LambdaContextLike>();

  // Options are checked; a non-function is refused.
  wrapHandler(api, { flushTimeoutMillis: 1000, timeoutGuardMillis: false });
  // @ts-expect-error -- flushTimeoutMillis is a number
  wrapHandler(api, { flushTimeoutMillis: '1000' });
  // @ts-expect-error -- a handler must be a function
  wrapHandler({ handler: api });
  // @ts-expect-error -- the wrapper has the handler's type, not some other handler's
  const wrong: SQSHandler = wrapHandler(api);
  void wrong;
}
void typeChecks;

// ---- Runtime: the published declarations. ----
const DIST = path.join(ROOT, 'dist');

/** dist/lambda.d.ts and .d.cts plus every declaration chunk they import, transitively. */
function publishedDeclarations(): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) {
      const base = path.resolve(path.dirname(file), spec!);
      const candidate = [base.replace(/\.c?js$/, (ext) => (ext === '.cjs' ? '.d.cts' : '.d.ts')), `${base}.d.ts`].find(
        (f) => fs.existsSync(f),
      );
      if (candidate) visit(candidate);
    }
  };
  visit(path.join(DIST, 'lambda.d.ts'));
  visit(path.join(DIST, 'lambda.d.cts'));
  return [...seen];
}

/** Type-checks `source` as if it were a file of a consumer project importing the built package. */
function compileConsumer(source: string, types: string[]): string[] {
  // Inside the package root, so `@bentolabs/sdk/lambda` resolves through package.json `exports`.
  const file = path.join(ROOT, 'test', 'fixtures', 'lambda', '__consumer__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types,
    // Library internals are not ours to check (and @types/node takes seconds); an unresolvable
    // import in dist/ is caught by the test above.
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, source, language) : original(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('published types of @bentolabs/sdk/lambda', { timeout: 30_000 }, () => {
  test('dist/lambda.d.ts (and .d.cts, and the chunks they import) import nothing from aws-lambda', () => {
    requireBuild();
    const files = publishedDeclarations();
    expect(files.length).toBeGreaterThanOrEqual(2);
    // Any way a declaration file can pull a package in: import/export from, import(), require, reference.
    const reference =
      /(?:from\s*|import\s*\(\s*|require\s*\(\s*|<reference\s+types\s*=\s*)['"](?:@types\/)?aws-lambda['"/]/;
    for (const file of files) expect(fs.readFileSync(file, 'utf8'), path.basename(file)).not.toMatch(reference);
    // The regex itself would catch the import @types/aws-lambda users write.
    expect(`import type { Context } from 'aws-lambda';`).toMatch(reference);
  });

  test('a consumer without @types/aws-lambda type-checks against the published declarations', () => {
    requireBuild();
    const errors = compileConsumer(
      `import { wrapHandler, type LambdaContextLike } from '@bentolabs/sdk/lambda';
       export const handler = wrapHandler(async (event: { q: string }, context: LambdaContextLike) =>
         ({ id: context.awsRequestId, q: event.q }));
       export const other = wrapHandler(
         (event: unknown, context: LambdaContextLike, callback: (e: Error | null, r?: string) => void) =>
           callback(null, 'ok'));`,
      ['node'],
    );
    expect(errors).toEqual([]);
  });

  test('a consumer with @types/aws-lambda gets its own handler types back from the published declarations', () => {
    requireBuild();
    const errors = compileConsumer(
      `import type { APIGatewayProxyHandlerV2, Context, Handler } from 'aws-lambda';
       import { wrapHandler, type LambdaContextLike } from '@bentolabs/sdk/lambda';
       const api: APIGatewayProxyHandlerV2 = async () => ({ statusCode: 200, body: 'ok' });
       export const handler: APIGatewayProxyHandlerV2 = wrapHandler(api);
       export const cb: Handler<{ n: number }, number> =
         wrapHandler<Handler<{ n: number }, number>>((e, _c, callback) => callback(null, e.n));
       const ctx = {} as Context;
       export const like: LambdaContextLike = ctx;
       // @ts-expect-error -- the wrapper keeps the handler's type
       export const wrong: Handler<{ n: number }, number> = wrapHandler(async (e: { s: string }) => e.s);`,
      ['node'],
    );
    expect(errors).toEqual([]);
  });
});
