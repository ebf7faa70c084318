/** Display helpers shared by the views. */

export function duration(millis: number): string {
  if (!Number.isFinite(millis) || millis < 0) return '?';
  if (millis < 1) return `${millis.toFixed(2)} ms`;
  if (millis < 1000) return `${millis.toFixed(millis < 10 ? 1 : 0)} ms`;
  return `${(millis / 1000).toFixed(2)} s`;
}

export function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

export function preview(value: unknown, max = 90): string {
  if (value === undefined || value === null) return '';
  const text = (typeof value === 'string' ? value : JSON.stringify(value)).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Pretty JSON when a string holds a JSON object or array (inputs and outputs often do). */
export function prettyIfJson(value: string): string | undefined {
  const t = value.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return undefined;
  }
}

/** Epoch milliseconds of an OTLP nanosecond timestamp string. */
export function nanosToMillis(nanos: string): number {
  try {
    return Number(BigInt(nanos || '0') / 1000n) / 1000;
  } catch {
    return 0;
  }
}
