/** Display helpers only the browser needs; the ones the terminal shares live in src/dev/shared.ts. */
export {
  formatCost,
  formatDuration,
  formatTokens,
  nanosToMillis,
  prettyIfJson,
  preview,
} from '../../src/dev/shared.js';

/** Local time of day for today's timestamps, date and time otherwise. */
export function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}
