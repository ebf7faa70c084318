/** `bentolabs dev`: starts the local endpoint, prints where it is and each trajectory as it arrives. */
import { fileURLToPath } from 'node:url';
import { TracePrinter } from '../dev/printer.js';
import { startDevServer, type DevServer } from '../dev/server.js';
import { SDK_VERSION } from '../core/version.js';

export interface DevCommandOptions {
  port: number;
  host?: string;
  dataFile?: string;
  apiKey?: string;
  rejectProtobuf: boolean;
  quiet: boolean;
  color: boolean;
}

// dist/cli.js serves dist/dashboard/, which scripts/build-dev.mjs writes next to it.
const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

export async function runDevCommand(options: DevCommandOptions): Promise<number> {
  let server: DevServer;
  try {
    server = await startDevServer({
      port: options.port,
      host: options.host,
      dataFile: options.dataFile,
      apiKey: options.apiKey,
      rejectProtobuf: options.rejectProtobuf,
      dashboardDir: DASHBOARD_DIR,
      version: SDK_VERSION,
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
  out(`  Use it:    BENTOLABS_BASE_URL=${url} BENTOLABS_API_KEY=${options.apiKey ?? 'bl_pk_dev_local'}\n`);
  if (options.apiKey) out(`  Only the key given with --api-key is accepted.\n`);
  if (options.rejectProtobuf) out(`  --reject-protobuf: protobuf requests get 415, JSON is accepted.\n`);
  out(`Waiting for spans (Ctrl-C to stop)\n\n`);

  const printer = options.quiet ? undefined : new TracePrinter(server.store, { write: out, color: options.color });

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
