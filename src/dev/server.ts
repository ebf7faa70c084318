/**
 * The local BentoLabs endpoint behind `bentolabs dev`: OTLP/HTTP ingest at `/v1/traces`, the
 * JSON API and event stream under `/api/`, `/healthz`, and the dashboard at `/`, all from one
 * `node:http` server with no dependencies.
 */
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { EventStream, handleApi } from './api.js';
import { hostAllowed } from './host-check.js';
import { handleExport, sendJson, type IngestOptions, type Rejection } from './ingest.js';
import { DEFAULT_PRICES, type PriceTable } from './prices.js';
import { SpanStore, type LoadReport, type StoredSpan } from './store.js';

export interface DevServerOptions extends IngestOptions {
  /** @default 8080; 0 picks a free port. */
  port?: number;
  /** `localhost` listens on 127.0.0.1 and, when available, ::1. @default 'localhost' */
  host?: string;
  /** The NDJSON span file. @default '.bentolabs/spans.ndjson' under the working directory */
  dataFile?: string;
  /** Directory holding the built dashboard (index.html and its script). */
  dashboardDir?: string;
  /** Called for every refused export request. */
  onRejected?: (rejection: Rejection, req: IncomingMessage) => void;
  /** SDK version shown by /healthz. */
  version?: string;
  /**
   * Host names (or `name:port`) accepted in the `Host` header besides localhost names and
   * loopback addresses, e.g. the machine's LAN name when listening on 0.0.0.0. Anything else is
   * refused with 403, so a web page that rebinds its own DNS name to 127.0.0.1 cannot read the
   * API or post spans from the browser (DNS rebinding).
   */
  allowedHosts?: string[];
  /** Prices for token costs, merged over the built-in table (USD per 1M tokens). */
  prices?: PriceTable;
}

export interface DevServer {
  /** `http://localhost:PORT` (or the host given). */
  readonly url: string;
  readonly port: number;
  readonly store: SpanStore;
  readonly loaded: LoadReport;
  readonly dataFile: string;
  close(): Promise<void>;
}

export const DEFAULT_DATA_FILE = path.join('.bentolabs', 'spans.ndjson');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const NO_DASHBOARD = `<!doctype html><meta charset="utf-8"><title>BentoLabs dev</title>
<p>The dashboard is not built. Run <code>node scripts/build-dev.mjs</code>; the JSON API is at <a href="/api/traces">/api/traces</a>.</p>`;

/** Files the dashboard may serve: a fixed listing, so no request path can reach outside it. */
function dashboardFiles(dir: string | undefined): Map<string, string> {
  const files = new Map<string, string>();
  if (!dir || !fs.existsSync(dir)) return files;
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name);
    if (CONTENT_TYPES[path.extname(name)] && fs.statSync(full).isFile()) files.set(`/${name}`, full);
  }
  return files;
}

function serveStatic(urlPath: string, res: ServerResponse, files: Map<string, string>): boolean {
  const file = files.get(urlPath === '/' ? '/index.html' : urlPath);
  if (!file) {
    if (urlPath !== '/') return false;
    res.writeHead(200, { 'content-type': CONTENT_TYPES['.html']! });
    res.end(NO_DASHBOARD);
    return true;
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)]!,
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  res.end(body);
  return true;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Starts the endpoint; rejects with the listen error (e.g. EADDRINUSE). */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const dataFile = path.resolve(options.dataFile ?? DEFAULT_DATA_FILE);
  const { store, report } = SpanStore.open(dataFile);
  const prices: PriceTable = { ...DEFAULT_PRICES, ...options.prices };
  const events = new EventStream(store, prices);
  const files = dashboardFiles(options.dashboardDir);
  // Export requests since start, by encoding, and refusals by status: what /healthz reports.
  const counts = { protobuf: 0, json: 0, compressed: 0, rejected: {} as Record<number, number> };

  const host = options.host ?? 'localhost';
  // The interface asked for is a name the user meant to reach the server by, so it is allowed too.
  const allowedHosts = [...(options.allowedHosts ?? []), host];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, allowedHosts)) {
      res.setHeader('connection', 'close');
      return sendJson(res, 403, {
        error: 'host_not_allowed',
        message:
          `The Host header \`${String(req.headers.host ?? '(none)').slice(0, 200)}\` is not a localhost name or ` +
          'loopback address; start `bentolabs dev` with --allowed-host <name> to accept it.',
      });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/v1/traces') {
      if (req.method !== 'POST')
        return sendJson(
          res,
          405,
          { error: 'method_not_allowed', message: 'POST OTLP/HTTP trace requests here.' },
          { allow: 'POST' },
        );
      const result = await handleExport(req, res, store, options);
      if ('status' in result) {
        counts.rejected[result.status] = (counts.rejected[result.status] ?? 0) + 1;
        options.onRejected?.(result, req);
      } else {
        counts[result.encoding]++;
        if (result.compressed) counts.compressed++;
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(
        res,
        405,
        { error: 'method_not_allowed', message: `${req.method} is not supported here.` },
        { allow: 'GET' },
      );
    if (url.pathname === '/healthz')
      return sendJson(res, 200, {
        ok: true,
        spans: store.size,
        traces: store.traceIds().length,
        requests: counts,
        dataFile,
        ...(options.version && { version: options.version }),
      });
    if (url.pathname === '/api/events') return events.attach(req, res);
    if (url.pathname.startsWith('/api/') && handleApi(url, res, store, prices)) return;
    if (!url.pathname.startsWith('/api/') && serveStatic(url.pathname, res, files)) return;
    sendJson(res, 404, { error: 'not_found', message: `Nothing at ${url.pathname}.` });
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: String(error) });
      else res.destroy();
    });
  };

  const servers: Server[] = [];
  const primary = createServer(onRequest);
  try {
    // `localhost` may resolve to either family; binding both loopbacks means clients that try
    // ::1 first (and ones that only try 127.0.0.1) both connect.
    await listen(primary, options.port ?? 8080, host === 'localhost' ? '127.0.0.1' : host);
  } catch (error) {
    events.close();
    store.close();
    throw error;
  }
  servers.push(primary);
  const { port } = primary.address() as AddressInfo;
  if (host === 'localhost') {
    const v6 = createServer(onRequest);
    await listen(v6, port, '::1').then(
      () => servers.push(v6),
      () => undefined,
    ); // no IPv6 loopback: fine
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    port,
    store,
    loaded: report,
    dataFile,
    async close() {
      events.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      store.close();
    },
  };
}

export type { StoredSpan };
