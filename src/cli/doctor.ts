/** `bentolabs doctor`: prints the report (text or `--json`) and returns the exit code. */
import { formatDoctor, runDoctor } from '../dev/doctor.js';

export interface DoctorCommandOptions {
  json: boolean;
  apiKey?: string;
  baseUrl?: string;
  timeoutMillis: number;
  handler?: string;
  color: boolean;
}

export async function runDoctorCommand(options: DoctorCommandOptions): Promise<number> {
  const report = await runDoctor({
    apiKey: options.apiKey,
    baseUrl: options.baseUrl,
    timeoutMillis: options.timeoutMillis,
    handler: options.handler,
  });
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report, options.color)}\n`,
  );
  // Non-zero on any problem, so `npx bentolabs doctor` can gate a CI job or a deploy.
  return report.ok ? 0 : 1;
}
