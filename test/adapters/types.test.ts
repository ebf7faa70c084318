/**
 * The adapters' structurally re-declared types fit the real frameworks' types: these calls are
 * checked by `tsc --noEmit -p .` (this file is in the project), and the test only asserts that
 * each composition produced a handler.
 */
import middy7 from '@middy/core';
import type { Context } from 'aws-lambda';
import express from 'express';
import middy6 from 'middy-core-6';
import { NextResponse, type NextRequest } from 'next/server.js';
import { describe, expect, it } from 'vitest';
import { bentoErrorHandler, bentoMiddleware as expressMiddleware } from '../../src/adapters/express.js';
import { wrapHandler } from '../../src/adapters/lambda.js';
import { bentoMiddleware } from '../../src/adapters/middy.js';
import { wrapRouteHandler } from '../../src/adapters/next.js';

describe('adapter types against the frameworks’ own', () => {
  it('Middy 7.x and 6.x accept bentoMiddleware(), alone and with wrapHandler', () => {
    const h7 = middy7(async (event: { name: string }, _context: Context) => ({ hello: event.name })).use(
      bentoMiddleware(),
    );
    const h6 = middy6(async (event: { name: string }) => ({ hello: event.name })).use(
      bentoMiddleware({ flushTimeoutMillis: 500 }),
    );
    const stacked = wrapHandler(middy7(async () => 'ok').use(bentoMiddleware()));
    expect([typeof h7, typeof h6, typeof stacked]).toEqual(['function', 'function', 'function']);
  });

  it('Express accepts bentoMiddleware() and bentoErrorHandler()', () => {
    const app = express();
    app.use(expressMiddleware({ serverless: false }));
    app.get('/', (_req, res) => void res.send('ok'));
    app.use(bentoErrorHandler());
    expect(typeof app).toBe('function');
  });

  it('wrapRouteHandler keeps a Next route handler’s parameters', async () => {
    const GET = wrapRouteHandler(async (request: NextRequest, { params }: { params: Promise<{ id: string }> }) =>
      NextResponse.json({ id: (await params).id, path: request.nextUrl.pathname }),
    );
    const typed: (request: NextRequest, context: { params: Promise<{ id: string }> }) => Promise<NextResponse> = GET;
    expect(typeof typed).toBe('function');
  });
});
