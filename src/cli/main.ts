/**
 * The `bentolabs` command: `dev` (local endpoint and dashboard) and `doctor` (diagnose why spans
 * do not arrive). A separate entry point, bundled to dist/cli.js: nothing in the SDK's own
 * entry points imports it, so a Lambda bundle never carries the dev server.
 */
import { parseArgs } from 'node:util';
import { environmentValue } from '../core/config.js';
import { SDK_VERSION } from '../core/version.js';
import { runDevCommand } from './dev.js';
import { runDoctorCommand } from './doctor.js';

const HELP = `bentolabs ${SDK_VERSION}

Usage:
  bentolabs dev [options]      Local OTLP endpoint + dashboard for @bentolabs/sdk
    --port <n>                 Port to listen on (default 8080; 0 = a free port)
    --host <host>              Interface (default localhost = 127.0.0.1 and ::1)
    --data <file>              Span store, NDJSON (default .bentolabs/spans.ndjson)
    --api-key <key>            Only accept this exact key (403 for others)
    --allowed-host <name>      Also answer this Host header (repeatable; localhost names
                               and loopback addresses always work)
    --reject-protobuf          Answer 415 to protobuf, like a JSON-only endpoint
    --quiet                    Do not print trajectory trees
    --prices <file>            JSON price table for token costs (USD per 1M tokens)
    --no-color                 Plain output (also: NO_COLOR=1)

  bentolabs doctor [options]   Check this environment's SDK configuration and endpoint
    --json                     Machine-readable report
    --api-key <key>            Check this key instead of BENTOLABS_API_KEY
    --base-url <url>           Check this URL instead of BENTOLABS_BASE_URL
    --timeout <ms>             Per network step (default 5000)
    --handler <file#export>    Check that this Lambda handler is wrapped (in Lambda: _HANDLER)
    Exits 1 when any problem is found. Leaves no span in your data: its export
    requests carry none.

  bentolabs --version | --help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${SDK_VERSION}\n`);
    return 0;
  }
  if (command === 'dev') {
    const { values } = parseArgs({
      args: rest,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        'api-key': { type: 'string' },
        'allowed-host': { type: 'string', multiple: true },
        'reject-protobuf': { type: 'boolean' },
        quiet: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        prices: { type: 'string' },
      },
      strict: true,
    });
    const port = values.port === undefined ? 8080 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`Expected --port to be 0-65535, got \`${values.port}\`.`);
    return runDevCommand({
      port,
      host: values.host,
      dataFile: values.data,
      apiKey: values['api-key'],
      allowedHosts: values['allowed-host'],
      rejectProtobuf: values['reject-protobuf'] ?? false,
      quiet: values.quiet ?? false,
      color: wantsColor(values['no-color']),
      pricesFile: values.prices,
    });
  }
  if (command === 'doctor') {
    const { values } = parseArgs({
      args: rest,
      options: {
        json: { type: 'boolean' },
        'api-key': { type: 'string' },
        'base-url': { type: 'string' },
        timeout: { type: 'string' },
        handler: { type: 'string' },
        'no-color': { type: 'boolean' },
      },
      strict: true,
    });
    const timeout = values.timeout === undefined ? 5000 : Number(values.timeout);
    if (!Number.isInteger(timeout) || timeout <= 0)
      throw new UsageError(`Expected --timeout to be a positive number of milliseconds, got \`${values.timeout}\`.`);
    return runDoctorCommand({
      json: values.json ?? false,
      apiKey: values['api-key'],
      baseUrl: values['base-url'],
      timeoutMillis: timeout,
      handler: values.handler,
      color: wantsColor(values['no-color']),
    });
  }
  throw new UsageError(`Unknown command \`${command}\`.`);
}

class UsageError extends Error {}

/** `--no-color` and NO_COLOR win; FORCE_COLOR colours a pipe (the demo forwards our output). */
function wantsColor(noColor: boolean | undefined): boolean {
  if (noColor || environmentValue('NO_COLOR')) return false;
  const force = environmentValue('FORCE_COLOR');
  return Boolean(force && force !== '0') || process.stdout.isTTY === true;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // parseArgs throws TypeErrors with codes such as ERR_PARSE_ARGS_UNKNOWN_OPTION for bad flags.
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(
      `bentolabs: ${(error as Error).message}\n${usage ? 'Run `bentolabs --help` for usage.\n' : ''}`,
    );
    process.exitCode = usage ? 2 : 1;
  },
);
