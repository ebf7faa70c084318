/**
 * The JSON API the dashboard (and tests, and the demo) read: spans, trajectories, sessions and
 * users, plus a Server-Sent Events stream announcing every stored batch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './ingest.js';
import { spanMatches } from './match.js';
import { DEFAULT_PRICES, type PriceTable } from './prices.js';
import { renderTrace } from './render.js';
import { filterOf } from './shared.js';
import type { SpanStore, StoredSpan } from './store.js';
import type { Usage } from './usage.js';
import { facets, sessions, totals, users } from './rollups.js';
import { buildTree, llmCalls, summarize, traceSummaries, type TraceSummary } from './views.js';

function limitOf(query: URLSearchParams): number | undefined {
  const n = Number(query.get('limit'));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Lists built from the matching traces: `{ sessions | users, totals }`. */
const ROLLUPS: Record<
  string,
  { key: string; of: (traces: TraceSummary[]) => Array<{ errors: number; usage: Usage }> }
> = {
  '/api/sessions': { key: 'sessions', of: sessions },
  '/api/users': { key: 'users', of: users },
};

const groups = (store: SpanStore): StoredSpan[][] => store.traceIds().map((id) => store.trace(id));

/** Answers a GET under `/api/`; returns false when the path is not an API route. */
export function handleApi(
  url: URL,
  res: ServerResponse,
  store: SpanStore,
  prices: PriceTable = DEFAULT_PRICES,
): boolean {
  const q = url.searchParams;
  const filter = filterOf(q);
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/api/spans') {
    const matching = store.all().filter((s) => spanMatches(s, filter));
    const limit = limitOf(q);
    sendJson(res, 200, { spans: limit ? matching.slice(-limit) : matching });
    return true;
  }
  if (path === '/api/traces') {
    const list = traceSummaries(groups(store), filter, prices);
    const limit = limitOf(q);
    sendJson(res, 200, { traces: limit ? list.slice(0, limit) : list, totals: totals(list) });
    return true;
  }
  if (path === '/api/llm-calls') {
    const now = Date.now();
    const calls = llmCalls(groups(store), prices, (s) => spanMatches(s, filter, now));
    const limit = limitOf(q);
    sendJson(res, 200, { calls: limit ? calls.slice(0, limit) : calls, totals: totals(calls) });
    return true;
  }
  const one = /^\/api\/traces\/([0-9a-fA-F]{1,64})$/.exec(path);
  if (one) {
    const spans = store.trace(one[1]!.toLowerCase());
    if (spans.length === 0) {
      sendJson(res, 404, { error: 'not_found', message: `No trace ${one[1]} has been received.` });
    } else if (q.get('format') === 'text') {
      const text = `${renderTrace(spans, { color: q.get('color') === '1' })}\n`;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } else {
      const [summary] = traceSummaries([spans], {}, prices);
      sendJson(res, 200, { trace: summary, roots: buildTree(spans, prices) });
    }
    return true;
  }
  const rollup = ROLLUPS[path];
  if (rollup) {
    const list = rollup.of(traceSummaries(groups(store), filter, prices));
    sendJson(res, 200, { [rollup.key]: list, totals: totals(list) });
    return true;
  }
  if (path === '/api/facets') {
    sendJson(res, 200, facets(traceSummaries(groups(store), {}, prices)));
    return true;
  }
  if (path === '/api/prices') {
    sendJson(res, 200, { prices });
    return true;
  }
  return false;
}

/**
 * `GET /api/events`: one unnamed SSE message per stored batch, `{ type: 'spans', count,
 * traceIds, spans }` (span summaries), and a comment every 15 s so proxies keep it open.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onBatch = (spans: StoredSpan[]) => {
    const traceIds = [...new Set(spans.map((s) => s.traceId))];
    this.broadcast({
      type: 'spans',
      count: spans.length,
      total: this.store.size,
      traceIds,
      spans: spans.map((s) => summarize(s, false, this.prices)),
    });
  };

  constructor(
    private readonly store: SpanStore,
    private readonly prices: PriceTable = DEFAULT_PRICES,
  ) {
    store.on('batch', this.onBatch);
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), 15_000);
    this.heartbeat.unref();
  }

  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // `retry` makes a dropped EventSource reconnect quickly; `hello` tells a client it is live.
    res.write(`retry: 1000\ndata: ${JSON.stringify({ type: 'hello', total: this.store.size })}\n\n`);
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  private broadcast(message: unknown): void {
    this.write(`data: ${JSON.stringify(message)}\n\n`);
  }

  private write(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.store.off('batch', this.onBatch);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
