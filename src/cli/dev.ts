/** `bentolabs dev`: starts the local endpoint, prints where it is and each trajectory as it arrives. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PRICES, parsePriceTable, type PriceTable } from '../dev/prices.js';
import { TracePrinter } from '../dev/printer.js';
import { startDevServer, type DevServer } from '../dev/server.js';
import { redactKey } from '../core/api-key.js';
import { SDK_VERSION } from '../core/version.js';

export interface DevCommandOptions {
  port: number;
  host?: string;
  dataFile?: string;
  apiKey?: string;
  /** Extra names accepted in the Host header (`--allowed-host`). */
  allowedHosts?: string[];
  rejectProtobuf: boolean;
  quiet: boolean;
  color: boolean;
  /** A JSON price table merged over the built-in one. */
  pricesFile?: string;
}

// dist/cli.js serves dist/dashboard/, which scripts/build-dev.mjs writes next to it.
const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

export async function runDevCommand(options: DevCommandOptions): Promise<number> {
  let prices: PriceTable | undefined;
  if (options.pricesFile) {
    try {
      prices = parsePriceTable(fs.readFileSync(options.pricesFile, 'utf8'), options.pricesFile);
    } catch (error) {
      process.stderr.write(`bentolabs dev: --prices: ${(error as Error).message}\n`);
      return 2;
    }
  }
  let server: DevServer;
  try {
    server = await startDevServer({
      port: options.port,
      host: options.host,
      dataFile: options.dataFile,
      apiKey: options.apiKey,
      allowedHosts: options.allowedHosts,
      rejectProtobuf: options.rejectProtobuf,
      dashboardDir: DASHBOARD_DIR,
      version: SDK_VERSION,
      prices,
      onRejected: (r, req) =>
        process.stderr.write(`✗ refused ${req.method} ${req.url}: ${r.status} ${r.error}: ${r.message}\n`),
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      process.stderr.write(
        `bentolabs dev: port ${options.port} is already in use. Stop the other process, or pass --port <n> (--port 0 picks a free one).\n`,
      );
      return 1;
    }
    throw error;
  }

  const { url, loaded } = server;
  const out = (s: string) => process.stdout.write(s);
  // The first line is stable on purpose: scripts and tests parse the URL from it.
  out(`BentoLabs dev endpoint listening on ${url}\n`);
  out(`  OTLP/HTTP  POST ${url}/v1/traces  (protobuf or JSON, gzip ok; Authorization: Bearer bl_pk_…)\n`);
  out(`  Dashboard  ${url}/\n`);
  out(
    `  Data       ${server.dataFile} (${loaded.spans} span(s) loaded` +
      `${loaded.skippedLines ? `, ${loaded.skippedLines} unreadable line(s) skipped` : ''})\n`,
  );
  // Terminal output ends up in CI logs and screen shares: the key given with --api-key is shown
  // redacted, like everywhere else; the user who typed it knows it.
  const key = options.apiKey === undefined ? 'bl_pk_dev_local' : `<your --api-key ${redactKey(options.apiKey)}>`;
  out(`  Use it:    BENTOLABS_BASE_URL=${url} BENTOLABS_API_KEY=${key}\n`);
  if (options.apiKey) out(`  Only the key given with --api-key (${redactKey(options.apiKey)}) is accepted.\n`);
  if (options.allowedHosts?.length) out(`  Also answers Host: ${options.allowedHosts.join(', ')}\n`);
  if (prices)
    out(`  Prices     ${Object.keys(prices).length} model(s) from ${options.pricesFile} over the built-in table\n`);
  if (options.rejectProtobuf) out(`  --reject-protobuf: protobuf requests get 415, JSON is accepted.\n`);
  out(`Waiting for spans (Ctrl-C to stop)\n\n`);

  const printer = options.quiet
    ? undefined
    : new TracePrinter(server.store, { write: out, color: options.color, prices: { ...DEFAULT_PRICES, ...prices } });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      printer?.stop();
      void server.close().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
